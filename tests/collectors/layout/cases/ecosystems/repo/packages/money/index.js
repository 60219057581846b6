exports.cents = (amount) => Math.round(amount * 100);

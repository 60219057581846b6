pub fn replay(_id: u64) {}

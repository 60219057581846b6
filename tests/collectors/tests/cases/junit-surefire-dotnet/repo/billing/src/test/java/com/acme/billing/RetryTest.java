package com.acme.billing;

class RetryTest {
    @Test void reachesLedger() {}
    @Test void settlesPayment() {}
    @Test void sendsReceipt() {}
}

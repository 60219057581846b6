package com.acme.billing;

class CheckoutIT {
    @Test void checksOut() {}
}

package com.acme.orders;

import org.junit.jupiter.api.Test;

class PriceCalculatorTest {
    @Test
    void addsTax() {}

    @Test
    void roundsHalfUp() {}
}

package dev.anops.billing;

class PriceHandlerTest {
    void defaultsToEuro() {
        System.out.println("System.getenv is not read here");
    }
}

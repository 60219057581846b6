package dev.shop;

public final class Money {
    private Money() {}
}

package com.acme.orders;

public class OrderService {
    public int total(int[] prices) {
        int sum = 0;
        for (int p : prices) {
            sum += p;
        }
        return sum;
    }
}

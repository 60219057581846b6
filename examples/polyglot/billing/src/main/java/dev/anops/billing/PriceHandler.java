package dev.anops.billing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

final class PriceHandler implements HttpHandler {
    private final String currency;

    PriceHandler(String currency) {
        this.currency = currency == null ? "EUR" : currency;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String region = System.getenv("REGION");
        byte[] body = ("[{\"sku\":\"a1\",\"cents\":1299,\"currency\":\"" + currency + "\"}]")
                .getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
        if (region == null) {
            System.err.println("REGION unset");
        }
    }
}

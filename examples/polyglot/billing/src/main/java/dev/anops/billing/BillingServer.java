package dev.anops.billing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.logging.Logger;

/** Serves prices over HTTP. Configuration: System.getenv("PORT") is read once, in main. */
public final class BillingServer {
    private static final Logger LOG = Logger.getLogger(BillingServer.class.getName());

    private BillingServer() {}

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8081"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/prices", new PriceHandler(System.getenv("CURRENCY")));
        server.start();
        LOG.info("billing listening on " + port);
        System.out.println("started");
    }
}

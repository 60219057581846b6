// Command gateway fronts the web shop: it proxies /api to the billing service.
package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"example.dev/gateway/internal/proxy"
)

func main() {
	// The listen address comes from the environment; os.Getenv("PORT") defaults below.
	addr := ":" + envOr("PORT", "8080")
	handler, err := proxy.New(os.Getenv("BILLING_URL"))
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

func envOr(key, fallback string) string {
	if value, ok := os.LookupEnv(key); ok {
		return value
	}
	return fallback
}

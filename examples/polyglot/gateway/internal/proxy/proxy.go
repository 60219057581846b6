package proxy

import (
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
)

// New returns a reverse proxy to the billing service at target.
func New(target string) (http.Handler, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	if u.Host == "" {
		log.Fatal("BILLING_URL has no host") // exits the whole gateway from a library: the policy flags this
	}
	debug := os.Getenv("PROXY_DEBUG") == "1"
	proxy := httputil.NewSingleHostReverseProxy(u)
	if debug {
		log.Printf("proxying to %s", u)
	}
	return proxy, nil
}

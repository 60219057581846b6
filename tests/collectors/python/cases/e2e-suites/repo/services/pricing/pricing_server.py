"""A tiny pricing service on the standard library's HTTP server."""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PRICES = {"1": 999}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        price = PRICES.get(self.path.rsplit("/", 1)[-1])
        body = json.dumps({"price": price}).encode()
        self.send_response(200 if price is not None else 404)
        self.end_headers()
        self.wfile.write(body)


def serve(port):
    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    serve(int(os.environ.get("PRICING_PORT", "8082")))

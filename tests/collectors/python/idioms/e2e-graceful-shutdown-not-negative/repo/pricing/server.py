import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

PRICES = {"apple": 3}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        item = self.path.rsplit("/", 1)[-1]
        if item not in PRICES:
            self.send_error(404, f"unknown item {item}")
            return
        body = json.dumps({"item": item, "price": PRICES[item]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    server = HTTPServer(("127.0.0.1", 8080), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


if __name__ == "__main__":
    main()

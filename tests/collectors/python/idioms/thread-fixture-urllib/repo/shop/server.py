"""A tiny JSON inventory service on the standard library's HTTP server."""

import json
import logging
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = logging.getLogger("shop")
STOCK = {"apple": 3, "pear": 0}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        name = self.path.strip("/")
        if name not in STOCK:
            self._reply(404, {"error": f"unknown item {name}"})
            return
        self._reply(200, {"item": name, "count": STOCK[name]})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        try:
            order = json.loads(self.rfile.read(length))
            count = int(order["count"])
        except (ValueError, KeyError, TypeError) as exc:
            self._reply(400, {"error": f"bad order: {exc}"})
            return
        self._reply(201, {"ordered": count})

    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)


def make_server(port=None):
    port = int(port if port is not None else os.environ.get("SHOP_PORT", "8080"))
    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


if __name__ == "__main__":
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    make_server().serve_forever()

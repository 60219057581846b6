import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        try:
            json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        except ValueError:
            self.send_error(400, "body is not JSON")
            return
        self.send_response(204)
        self.end_headers()


def build(port):
    return HTTPServer(("127.0.0.1", port), Handler)


if __name__ == "__main__":
    build(int(os.environ.get("INVENTORY_PORT", "8000"))).serve_forever()

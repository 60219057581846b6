import os
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def settings():
    return Path(os.environ["REPORTS_DIR"]), int(os.environ.get("REPORTS_MAX_BYTES", "1024"))


class Handler(BaseHTTPRequestHandler):
    def do_PUT(self):
        folder, limit = settings()
        size = int(self.headers.get("Content-Length", "0"))
        if size > limit:
            self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        (folder / self.path.strip("/")).write_bytes(self.rfile.read(size))
        self.send_response(HTTPStatus.CREATED)
        self.end_headers()


def serve(port=8070):
    ThreadingHTTPServer(("", port), Handler).serve_forever()


if __name__ == "__main__":
    serve()

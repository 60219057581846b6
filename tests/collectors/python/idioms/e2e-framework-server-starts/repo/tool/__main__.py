import sys
from http.server import HTTPServer, SimpleHTTPRequestHandler


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        print("tool 1.0")
        return 0
    HTTPServer(("127.0.0.1", 8765), SimpleHTTPRequestHandler).serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

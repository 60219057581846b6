"""GitHub Actions' token request carries the job's request token in an Authorization header, which urllib
keeps across redirects: a redirect to plain http is refused before anything is sent to it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from anops_policy.errors import ConfigError
from anops_policy.identity.ci_tokens import github_actions_token

SECRET = "request-token-of-the-job"


class Sink(BaseHTTPRequestHandler):
    hits: list[str | None] = []  # noqa: RUF012 - the Authorization headers it received

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        Sink.hits.append(self.headers.get("Authorization"))
        body = json.dumps({"value": "stolen.token.value"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Redirect(BaseHTTPRequestHandler):
    location = ""

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", Redirect.location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture()
def servers() -> Iterator[tuple[int, int]]:
    started = [ThreadingHTTPServer(("127.0.0.1", 0), handler) for handler in (Redirect, Sink)]
    for httpd in started:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    Sink.hits = []
    try:
        yield started[0].server_address[1], started[1].server_address[1]
    finally:
        for httpd in started:
            httpd.shutdown()
            httpd.server_close()


# where the token service (a loopback test double, so plain http is allowed for it) redirects to
TARGETS = {
    "plain http": "http://127.0.0.1:{sink}/steal",
    "plain http, same server": "/steal",
    "plain http elsewhere": "http://attacker.invalid/steal",
}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_redirect_to_plain_http_is_not_followed(target: str, servers: tuple[int, int]) -> None:
    service, sink = servers
    Redirect.location = TARGETS[target].format(sink=sink)
    with pytest.raises(ConfigError, match=r"ACTIONS_ID_TOKEN_REQUEST_URL\): redirected to \S+, which is not https"):
        github_actions_token(f"http://127.0.0.1:{service}/token?api-version=2.0", SECRET, "anops-policy")
    assert Sink.hits == []

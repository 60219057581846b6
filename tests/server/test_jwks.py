"""An issuer's JWKS is hostile input: only signing keys of asymmetric types are kept, a bad entry is skipped
with a log line, and nothing is fetched except over HTTPS (a redirect to plain http included)."""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from anops_policy.identity import jwks
from anops_policy.identity.config import Issuer
from anops_policy.identity.jwks import KeysUnavailable, fetch_json, parse_jwks

from .pki import Authority


def rsa_jwk(kid: str) -> dict[str, object]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa.generate_private_key(65537, 2048).public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def ec_jwk(kid: str) -> dict[str, object]:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key()))
    return {**jwk, "kid": kid}


def test_only_usable_signing_keys_are_kept(caplog: pytest.LogCaptureFixture) -> None:
    keys = parse_jwks({"keys": [
        rsa_jwk("rsa-1"),
        ec_jwk("ec-1"),
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac-secret"},  # a symmetric key is never a verification key
        {**rsa_jwk("enc-1"), "use": "enc"},
        {**rsa_jwk("x"), "kid": None},
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        "not a key",
    ]}, "JWKS https://issuer.test/jwks")
    assert sorted(keys) == ["ec-1", "rsa-1"]
    assert keys["rsa-1"].kty == "RSA" and keys["rsa-1"].algorithm == "RS256"
    assert keys["ec-1"].kty == "EC" and keys["ec-1"].algorithm is None
    assert "key broken skipped" in caplog.text


@pytest.mark.parametrize("document", [{}, {"keys": "all of them"}, {"keys": None}])
def test_a_jwks_without_a_key_list_is_refused(document: dict[str, object]) -> None:
    with pytest.raises(KeysUnavailable, match="no 'keys' list"):
        parse_jwks(document, "JWKS https://issuer.test/jwks")


@pytest.mark.parametrize("url", ["http://issuer.test/jwks", "file:///etc/passwd", "ftp://issuer.test/jwks"])
def test_nothing_is_fetched_except_over_https(url: str) -> None:
    with pytest.raises(KeysUnavailable, match="not https"):
        fetch_json(url, ssl.create_default_context(), "JWKS")


def https_server(tmp_path: Path, handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, ssl.SSLContext]:
    """A loopback HTTPS server for ``handler``, serving in a thread, and a client context trusting its CA."""
    ca = Authority("issuer CA")
    cert, key = ca.issue("oidc.test", server=True).write(tmp_path, "issuer")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    httpd.socket = server_context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, ssl.create_default_context(cafile=str(ca.write(tmp_path / "ca.pem")))


def test_a_redirect_to_plain_http_is_not_followed(tmp_path: Path) -> None:
    """urllib follows a redirect from https to http by default: the keys would then cross the network in
    plaintext, where anyone on the path could swap them."""
    plain_hits: list[str] = []

    class Plain(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            plain_hits.append(self.path)
            body = json.dumps({"keys": []}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    plain = ThreadingHTTPServer(("127.0.0.1", 0), Plain)

    class Redirect(Plain):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{plain.server_address[1]}/jwks")
            self.send_header("Content-Length", "0")
            self.end_headers()

    threading.Thread(target=plain.serve_forever, daemon=True).start()
    secure, client = https_server(tmp_path, Redirect)
    try:
        with pytest.raises(KeysUnavailable, match=r"redirected to http://\S+, which is not https"):
            fetch_json(f"https://127.0.0.1:{secure.server_address[1]}/jwks", client, "JWKS")
        assert plain_hits == []
    finally:
        for httpd in (plain, secure):
            httpd.shutdown()
            httpd.server_close()


@pytest.mark.parametrize("named", [5, None, ["https://issuer.test"], {"url": "https://issuer.test"}])
def test_a_discovery_document_whose_issuer_is_not_a_string_is_refused(
    monkeypatch: pytest.MonkeyPatch, named: object
) -> None:
    monkeypatch.setattr(jwks, "fetch_json", lambda *_args: {"issuer": named, "jwks_uri": "https://issuer.test/k"})
    keys = jwks.IssuerKeys(Issuer(url="https://issuer.test", audience=("a",)), 30.0, 3600.0)
    with pytest.raises(KeysUnavailable, match="names issuer"):
        keys.key("any")


def test_a_slow_issuer_delays_only_the_callers_waiting_for_a_new_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refetch (a token named a key the issuer has not served yet) runs outside the keys' lock: callers
    whose key is known are answered meanwhile; a second caller for the new key waits for that one fetch."""
    served = {"a": rsa_jwk("a")}
    slow = threading.Event()
    release = threading.Event()

    def fetch(url: str, _context: object, _what: str) -> dict[str, object]:
        if url.endswith("openid-configuration"):
            return {"issuer": "https://issuer.test", "jwks_uri": "https://issuer.test/jwks"}
        if slow.is_set():
            assert release.wait(10), "the slow fetch was never released"
        return {"keys": list(served.values())}

    monkeypatch.setattr(jwks, "fetch_json", fetch)
    keys = jwks.IssuerKeys(Issuer(url="https://issuer.test", audience=("a",)), 0.0, 3600.0)
    assert keys.key("a").kid == "a" and keys.fetches == 1
    served["b"] = rsa_jwk("b")
    slow.set()
    found: dict[str, str] = {}

    def ask(name: str) -> None:
        found[name] = keys.key("b").kid

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    deadline = threading.Event()
    while not keys._fetching.locked():  # the first caller's fetch is under way
        assert not deadline.wait(0.01) and first.is_alive()
    second = threading.Thread(target=ask, args=("second",))
    second.start()
    known = threading.Thread(target=lambda: found.setdefault("known", keys.key("a").kid))
    known.start()
    known.join(5)
    assert found.get("known") == "a", "a caller with a known key waited for the slow fetch"
    assert "first" not in found and "second" not in found
    release.set()
    first.join(5)
    second.join(5)
    assert found["first"] == found["second"] == "b"
    assert keys.fetches == 2, "the second caller for the new key started a fetch of its own"


def test_an_issuer_that_sends_a_byte_at_a_time_is_refused_not_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each read has its own timeout; the whole document has a deadline too, so an issuer trickling its
    answer (a byte well within every read's timeout) cannot hold a verification for minutes."""
    stop = threading.Event()

    class Drip(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(100000):
                if stop.wait(0.05):
                    return
                self.wfile.write(b" ")
                self.wfile.flush()

    httpd, client = https_server(tmp_path, Drip)
    monkeypatch.setattr(jwks, "FETCH_DEADLINE_S", 0.5)
    try:
        with pytest.raises(KeysUnavailable, match=r"JWKS https://\S+: not received within 0.5 s"):
            fetch_json(f"https://127.0.0.1:{httpd.server_address[1]}/jwks", client, "JWKS")
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()

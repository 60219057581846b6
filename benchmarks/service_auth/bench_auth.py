"""What TLS, token verification, authorisation and per-caller limits cost ``anops-policy serve``: the same
load (N concurrent clients × M Evaluate calls on the example repository's facts) against a plaintext
server without auth and against a TLS server with ``--auth-config`` (an OIDC issuer served here on
loopback over HTTPS, RS256 keys, one GitHub-shaped token per client for its own repository, the
authorisation policy letting each write only its own stream), alternating in rounds in one run.

    python benchmarks/service_auth/bench_auth.py --clients 64 --calls 8 --rounds 2
    python benchmarks/service_auth/bench_auth.py --clients 64 --calls 40 --policy no-todos-in-release-files

Prints a Markdown table (throughput, latency, errors per configuration and round) and the ratio of the
throughputs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from anops_policy.config import load_config
from anops_policy.server import policy_pb2, policy_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "anops"
SERVING = re.compile(r"serving anops\.policy\.v1 on [^ ]+:(\d+) · \d+ workers")
AUDIENCE = "https://policy.bench"


def certificate(folder: Path) -> tuple[Path, Path, Path]:
    """(CA file, server cert, server key): a CA made here and a certificate for 127.0.0.1 from it."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False).sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


class Issuer(ThreadingHTTPServer):
    """Discovery and JWKS of one issuer at https://127.0.0.1:PORT."""

    key = rsa.generate_private_key(65537, 2048)
    kid = "bench-" + uuid.uuid4().hex[:8]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"

    def token(self, repository: str) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": AUDIENCE, "iat": now, "nbf": now - 5, "exp": now + 3600,
                  "sub": f"repo:{repository}:ref:refs/heads/main", "repository": repository,
                  "repository_owner": repository.partition("/")[0], "ref": "refs/heads/main", "workflow": "CI"}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})


class _Handler(BaseHTTPRequestHandler):
    server: Issuer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/.well-known/openid-configuration":
            body: dict[str, Any] = {"issuer": self.server.url, "jwks_uri": f"{self.server.url}/jwks"}
        elif self.path == "/jwks":
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.server.key.public_key()))
            body = {"keys": [{**jwk, "kid": self.server.kid, "alg": "RS256", "use": "sig"}]}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def start_server(args: list[str], log: Path) -> tuple[subprocess.Popen[bytes], int]:
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "anops_policy", "serve", "--listen", "127.0.0.1:0", *args],
                                   stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        match = SERVING.search(log.read_text(errors="replace"))
        if match:
            return process, int(match.group(1))
        if process.poll() is not None:
            raise SystemExit(f"serve exited with {process.returncode}:\n{log.read_text()}")
        time.sleep(0.1)
    process.kill()
    raise SystemExit("serve did not start")


def load(port: int, request: policy_pb2.EvaluateRequest, clients: int, calls: int,
         ca: bytes | None, tokens: list[str] | None) -> dict[str, Any]:
    target = f"127.0.0.1:{port}"

    def channel() -> grpc.Channel:
        if ca is None:
            return grpc.insecure_channel(target)
        return grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=ca))

    def call(stub: Any, index: int) -> policy_pb2.EvaluateResponse:
        metadata = (("authorization", f"Bearer {tokens[index]}"),) if tokens else ()
        req = policy_pb2.EvaluateRequest()
        req.CopyFrom(request)
        req.stream = f"github.com/org/r{index}"
        return stub.Evaluate(req, timeout=600, metadata=metadata)

    warm = policy_pb2_grpc.PolicyServiceStub(channel())  # type: ignore[no-untyped-call]
    for _ in range(2):
        call(warm, 0)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()

    def client(index: int) -> None:
        stub = policy_pb2_grpc.PolicyServiceStub(channel())  # type: ignore[no-untyped-call]
        for _ in range(calls):
            start = time.perf_counter()
            try:
                call(stub, index)
            except grpc.RpcError as exc:
                with lock:
                    errors[f"{exc.code().name}: {exc.details()[:80]}"] += 1
                continue
            with lock:
                latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    pct = (lambda p: ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000) if ordered else (lambda p: 0.0)
    return {"throughput": len(latencies) / wall, "wall": wall, "p50": pct(0.5), "p99": pct(0.99),
            "errors": dict(errors)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--calls", type=int, default=8, help="Evaluate calls per client per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds; the order of the two servers alternates")
    parser.add_argument("--workers", type=int, default=None, help="serve --max-workers (default: CPU count)")
    parser.add_argument("--policy", default=None, help="judge only this policy (default: the whole built-in pack)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="anops-auth-bench-"))
    facts = tmp / "facts.json"
    subprocess.run([sys.executable, "-m", "anops_policy", "facts", str(EXAMPLE), "-o", str(facts)], check=True,
                   capture_output=True)
    request = policy_pb2.EvaluateRequest(
        facts_json=facts.read_bytes(), policies=[args.policy] if args.policy else [],
        config_json=json.dumps(dict(load_config(EXAMPLE / "anops-policy.yaml").raw)).encode())
    ca_file, cert, key = certificate(tmp)
    issuer = Issuer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    issuer.socket = context.wrap_socket(issuer.socket, server_side=True)
    threading.Thread(target=issuer.serve_forever, daemon=True).start()
    (tmp / "authorisation.yaml").write_text(f"""\
apiVersion: anops.dev/authorisation/v1
rules:
  - id: github-jobs-write-their-repository
    actions: [write]
    allow: caller.issuer == "{issuer.url}" && stream == "github.com/" + caller.repository
""")
    (tmp / "auth.yaml").write_text(f"""\
issuers:
  - url: {issuer.url}
    audience: {AUDIENCE}
    claims: {{repository_owner: org}}
    ca_file: {ca_file}
    algorithms: [RS256]
authorisation: authorisation.yaml
""")
    tokens = [issuer.token(f"org/r{i}") for i in range(args.clients)]
    workers = ["--max-workers", str(args.workers)] if args.workers else []
    configs = {
        "plaintext, no auth": ([*workers], None, None),
        "TLS + OIDC + authorisation": ([*workers, "--tls-cert", str(cert), "--tls-key", str(key), "--auth-config",
                                        str(tmp / "auth.yaml")], ca_file.read_bytes(), tokens),
    }
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
    names = list(configs)
    for round_index in range(args.rounds):
        order = names if round_index % 2 == 0 else names[::-1]
        for name in order:
            extra, ca, toks = configs[name]
            process, port = start_server(extra, tmp / f"serve-{round_index}-{len(results[name])}.log")
            try:
                result = load(port, request, args.clients, args.calls, ca, toks)
            finally:
                process.send_signal(signal.SIGTERM)
                process.wait(120)
            result["round"] = round_index + 1
            results[name].append(result)
            print(f"round {round_index + 1} {name}: {result['throughput']:.2f}/s", file=sys.stderr, flush=True)
    issuer.shutdown()

    print(f"{args.clients} clients × {args.calls} calls per round, {args.rounds} rounds, "
          f"{args.workers or os.cpu_count()} workers, {'policy ' + args.policy if args.policy else 'whole pack'}")
    print()
    print("| server | round | throughput (Evaluate/s) | p50 / p99 (ms) | errors |")
    print("|---|---|---|---|---|")
    for name, rows in results.items():
        for r in rows:
            print(f"| {name} | {r['round']} | {r['throughput']:.2f} | {r['p50']:.0f} / {r['p99']:.0f} | "
                  f"{sum(r['errors'].values())} {r['errors'] or ''} |")
    total = {name: sum(r["throughput"] for r in rows) / len(rows) for name, rows in results.items()}
    plain, secured = total[names[0]], total[names[1]]
    print()
    print(f"mean throughput: {names[0]} {plain:.2f}/s, {names[1]} {secured:.2f}/s: ratio {secured / plain:.3f} "
          f"({(secured / plain - 1) * 100:+.1f}%)")
    return 1 if any(r["errors"] for rows in results.values() for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

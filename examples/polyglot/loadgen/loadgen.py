"""Replays recorded shop traffic against the gateway at a fixed rate (run as a Kubernetes Job)."""

import json
import logging
import os
import time
import urllib.request

log = logging.getLogger("loadgen")


def replay(target: str, requests_per_second: float, paths: list[str]) -> int:
    sent = 0
    for path in paths:
        with urllib.request.urlopen(target + path, timeout=5) as response:
            response.read()
        sent += 1
        time.sleep(1 / requests_per_second)
    return sent


def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    paths = json.loads(os.environ.get("LOADGEN_PATHS", '["/products"]'))
    count = replay(os.environ["GATEWAY_URL"], float(os.environ.get("LOADGEN_RPS", "5")), paths)
    log.info("replayed %d requests", count)


if __name__ == "__main__":
    main()

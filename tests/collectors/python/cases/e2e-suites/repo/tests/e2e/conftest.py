import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(script, port_var, port):
    env = {**os.environ, port_var: str(port)}
    proc = subprocess.Popen([sys.executable, script], env=env)
    time.sleep(0.5)
    return proc


@pytest.fixture(scope="session")
def pricing():
    proc = start(str(ROOT / "services/pricing/pricing_server.py"), "PRICING_PORT", 18082)
    yield "http://127.0.0.1:18082"
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def catalog(request):
    proc = start(str(ROOT / "services" / "catalog" / "src" / "catalog" / "web.py"), "CATALOG_PORT", 18081)
    request.addfinalizer(proc.kill)
    return "http://127.0.0.1:18081"

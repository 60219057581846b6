import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

PORT = "18080"


@pytest.fixture(autouse=True, scope="session")
def running_service():
    env = os.environ.copy()
    env["PRICES_PORT"] = PORT
    env["PRICES_CURRENCY"] = "CHF"
    env.pop("PRICES_DEBUG", None)
    proc = subprocess.Popen([sys.executable, str(Path(__file__).parents[1] / "service.py")], env=env)
    time.sleep(1.0)
    yield f"http://127.0.0.1:{PORT}"
    proc.terminate()
    proc.wait(timeout=10)

import subprocess
import sys
import time
import urllib.request

SERVER = None


def setup_module():
    global SERVER
    SERVER = subprocess.Popen([sys.executable, "services/pricing/pricing_server.py"])
    time.sleep(0.5)


def test_smoke():
    with urllib.request.urlopen("http://127.0.0.1:8082/prices/1", timeout=5) as response:
        assert response.status == 200

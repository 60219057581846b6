import subprocess
import sys
import time
import urllib.request


def test_serves_the_folder():
    proc = subprocess.Popen([sys.executable, "-m", "tool"])
    time.sleep(0.5)
    with urllib.request.urlopen("http://127.0.0.1:8765/", timeout=5) as response:
        assert response.status == 200
    proc.terminate()
    proc.wait(timeout=10)

import subprocess
import sys


def test_version():
    proc = subprocess.Popen([sys.executable, "-m", "tool", "--version"], stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert out.strip() == "tool 1.0"

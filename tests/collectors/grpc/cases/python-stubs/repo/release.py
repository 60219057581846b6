"""Build and push the billing image (docker must be on PATH)."""

import subprocess
import sys

TAG = "anops/billing:dev"

if __name__ == "__main__":
    if "--dry-run" not in sys.argv:
        subprocess.run(["docker", "build", "--tag", TAG, "."], check=True)
        subprocess.run(["docker", "push", TAG], check=True)

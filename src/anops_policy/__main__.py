from __future__ import annotations

from anops_policy.cli.main import main

if __name__ == "__main__":
    main()

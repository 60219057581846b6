"""Fresh virtual environments for tests that install a wheel and run it in a child interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path


def venv_over_this_environment(folder: Path, *, timeout: float = 300) -> Path:
    """A fresh virtual environment at ``folder`` (without pip of its own) that also sees the packages of
    the interpreter running the tests, after its own: a virtualenv's or the system's (``venv
    --system-site-packages`` reaches only the base interpreter's, which in a virtualenv holds none of
    them). A ``.pth`` line runs ``site.addsitedir`` on this environment's site-packages, so its ``.pth``
    files (an editable install's finder) work there too. Returns the new environment's ``python``."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=timeout)
    python = folder / "bin" / "python"
    ask = "import json, site; print(json.dumps(site.getsitepackages()))"
    out = subprocess.run([str(python), "-c", ask], capture_output=True, text=True, check=True, timeout=timeout)
    own = next(Path(p) for p in json.loads(out.stdout) if Path(p).is_dir())
    parent = sorted({sysconfig.get_paths()[key] for key in ("purelib", "platlib")})
    lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in parent)
    (own / "_tests_parent_environment.pth").write_text(lines)
    return python

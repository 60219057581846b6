"""The built-in packs ship in the wheel: a wheel built from this tree, installed into a fresh virtual
environment, loads both packs by name (package-dir maps each policies/<pack>/ folder into the package)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.environments import venv_over_this_environment

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_and_loads_both_packs(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True, timeout=600)
    [wheel] = (tmp_path / "dist").glob("anops_policy-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in sorted(p for p in (ROOT / "policies").iterdir() if (p / "pack.yaml").is_file()):
        package = folder.name.replace("-", "_")
        for file in folder.glob("*.yaml"):
            assert f"anops_policy/policies/{package}/{file.name}" in names, f"{file} is not in the wheel"
    venv = tmp_path / "venv"
    python = venv_over_this_environment(venv)
    install = [str(python), "-m", "pip", "install", "--no-deps", "--ignore-installed", "-q", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=600)
    probe = (
        "import json, anops_policy\n"
        "from anops_policy.policy.builtin import BUILTIN_PACKS\n"
        "from anops_policy.policy.packs import builtin_pack_dir, load_pack\n"
        "packs = [load_pack(builtin_pack_dir(n), f'builtin:{n}') for n in BUILTIN_PACKS]\n"
        "print(json.dumps({'file': anops_policy.__file__, 'packs': {p.id: len(p.policies) for p in packs}}))\n"
    )
    out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env={"PATH": "/usr/bin:/bin", "ANOPS_POLICY_CACHE": "off"}, check=False)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["file"].startswith(str(venv)), "another installation was imported, not the wheel just built"
    assert set(result["packs"]) == {"production-readiness", "deployment-readiness"}
    assert all(count > 0 for count in result["packs"].values())


"""Regenerate ``conformance_cases.json`` from the CEL conformance suite in the npm package ``@bufbuild/cel-spec``.

    python tests/cel_backends/make_conformance_cases.py            # npm pack + node, writes the JSON beside this file

Keeps the core-language cases that anops-policy's activation can express: no protobuf messages, enums,
wrappers or containers, no extension libraries, no type-check-only cases, and variable bindings made of JSON
values only. Each case keeps the suite's tagged values (``int64Value``, ``uint64Value``, …) so the test can
tell an int from a uint or a double. Which cases cel-python passes is decided by the test, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = "@bufbuild/cel-spec@0.6.1"
OUT = Path(__file__).with_name("conformance_cases.json")
SUITES = {
    "basic",
    "comparisons",
    "conversions",
    "fp_math",
    "integer_math",
    "lists",
    "logic",
    "macros",
    "macros2",
    "parse",
    "plumbing",
    "string",
    "timestamps",
    "fields",
}
VALUE_KINDS = {
    "boolValue",
    "stringValue",
    "int64Value",
    "doubleValue",
    "bytesValue",
    "uint64Value",
    "listValue",
    "mapValue",
    "nullValue",
}
JSON_KINDS = {"boolValue", "stringValue", "int64Value", "doubleValue", "listValue", "mapValue", "nullValue"}
PROTO_MARKERS = ("google.protobuf", "TestAllTypes", "NestedTestAllTypes", "cel.expr", ".Value{", "Any{")


def export(workdir: Path) -> dict[str, Any]:
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True, capture_output=True)
    tarball = next(workdir.glob("bufbuild-cel-spec-*.tgz"))
    subprocess.run(["tar", "xzf", tarball.name], cwd=workdir, check=True)
    module = workdir / "package" / "dist" / "esm" / "testdata" / "conformance.js"
    script = f"import({json.dumps(str(module))}).then(m => process.stdout.write(JSON.stringify(m.tests)))"
    out = subprocess.run(["node", "-e", script], check=True, capture_output=True, text=True).stdout
    data: dict[str, Any] = json.loads(out)
    return data


def kinds(value: dict[str, Any]) -> set[str]:
    found = set(value)
    if "listValue" in value:
        for item in value["listValue"].get("values", []):
            found |= kinds(item)
    if "mapValue" in value:
        for entry in value["mapValue"].get("entries", []):
            found |= kinds(entry["key"]) | kinds(entry["value"])
    return found


def usable(case: dict[str, Any]) -> bool:
    if case.get("container") or case.get("checkOnly") or case.get("typedResult"):
        return False
    if any(marker in case["expr"] for marker in PROTO_MARKERS):
        return False
    if "value" in case and not kinds(case["value"]) <= VALUE_KINDS:
        return False
    if "value" not in case and "evalError" not in case:
        return False
    for binding in (case.get("bindings") or {}).values():
        if "value" not in binding or not kinds(binding["value"]) <= JSON_KINDS:
            return False
    return True


def cases(data: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def walk(node: dict[str, Any], path: list[str]) -> None:
        if "original" in node:
            case = node["original"]
            if path[0] in SUITES and usable(case):
                item: dict[str, Any] = {"id": "/".join(path), "expr": case["expr"]}
                if case.get("bindings"):
                    item["bindings"] = {k: v["value"] for k, v in case["bindings"].items()}
                item["expect"] = {"value": case["value"]} if "value" in case else {"error": True}
                out.append(item)
            return
        for key in ("suites", "tests"):
            for child in node.get(key, []):
                walk(child, [*path, child.get("name") or child.get("original", {}).get("name", "?")])

    walk(data, [])
    return out


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        selected = cases(export(Path(tmp)))
    payload = {"source": f"npm {PACKAGE} (dist/esm/testdata/conformance.js)", "cases": selected}
    OUT.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(selected)} cases -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``files`` collector's parsers, one case folder per file: ``parsers/<format>/<case>/`` holds one input
file and ``expected.yaml`` with either

* ``documents: [{line: N, lines: {pointer: line, ...}}, ...]``: the pointers (written by reading the file)
  that must map to exactly those lines; the data itself is checked against an independent reading of the
  same file by a second library (``READERS``), or
* ``failure: {line: N, column: C, reason: text}``: the file must be a ParseFailure there (column optional;
  reason is a substring of the failure's).

Every recorded pointer must also resolve in the data it describes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hcl  # pyhcl
import iniconfig
import jproperties
import json5
import pytest
import simplejson
import tomlkit
import yaml
from anops_policy.collectors.files.parsers import PARSERS, Document, ParseFailure
from dockerfile_parse import DockerfileParser
from lxml import etree
from ruamel.yaml import YAML

HERE = Path(__file__).parent / "parsers"
CASES = sorted(p for p in HERE.glob("*/*") if p.is_dir())


def plain(value: Any) -> Any:
    """A second library's values as JSON: string keys, ISO dates, lists."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def read_yaml(text: str) -> list[Any]:
    return [plain(doc) for doc in YAML(typ="safe", pure=True).load_all(text)]


def read_toml(text: str) -> list[Any]:
    return [plain(tomlkit.parse(text).unwrap())]


def read_ini(text: str) -> list[Any]:
    config = iniconfig.IniConfig("file.ini", data=text)
    return [{s.name: dict(s.items()) for s in config if s.name != "DEFAULT" or dict(s.items())}]


def ini_as_iniconfig(documents: list[Document]) -> list[Any]:
    """configparser keeps the empty first line of a value continued on the next lines; iniconfig drops it."""
    return [{s: {k: v.lstrip("\n") for k, v in keys.items()} for s, keys in d.data.items()} for d in documents]


def _xml_model(element: Any) -> dict[str, Any]:
    text = (element.text or "") + "".join(child.tail or "" for child in element)
    return {
        "tag": element.tag,
        "attrs": dict(element.attrib),
        "text": text.strip() or None,
        "children": [_xml_model(child) for child in element if isinstance(child.tag, str)],
    }


def read_xml(text: str) -> list[Any]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return [_xml_model(etree.fromstring(text.encode(), parser))]


def read_hcl1(text: str) -> list[Any]:
    # pyhcl reads HCL1: blocks of a type are merged into one map and expressions are bare text
    return [_hcl_loose(hcl.loads(text))]


def hcl2_as_hcl1(documents: list[Document]) -> list[Any]:
    return [_hcl_loose(_merge_blocks(d.data)) for d in documents]


def _merge_blocks(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _merge_blocks(v) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        merged: dict[str, Any] = {}
        for item in value:
            merged.update(_merge_blocks(item))
        return merged
    if isinstance(value, list):
        return [_merge_blocks(v) for v in value]
    return value


def _hcl_loose(value: Any) -> Any:
    """Expressions compared without their ``${…}`` wrapper and whitespace (pyhcl keeps heredoc indentation)."""
    if isinstance(value, dict):
        return {k: _hcl_loose(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hcl_loose(v) for v in value]
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}") and value.count("${") == 1:
            value = value[2:-1]
        return re.sub(r"\s+", "", value)
    return value


_DOTENV = re.compile(
    r"""^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.]*)[ \t]*"""  # [export] KEY
    r"""(?:(=)[ \t]*("[^"]*"|'[^']*'|[^\n]*?))?[ \t]*(?:\#[^\n]*)?$""",  # [= value] [# comment]
    re.MULTILINE,
)


def read_dotenv(text: str) -> list[Any]:
    """A tiny reading of the .env subset the cases use: comments, export, quotes, a key without a value."""
    out: dict[str, str | None] = {}
    for match in _DOTENV.finditer(text):
        key, equals, value = match.groups()
        if value and value[0] in "\"'" and value[-1] == value[0]:
            value = value[1:-1]
        out[key] = value if equals else None
    return [out]


def read_properties(text: str) -> list[Any]:
    properties = jproperties.Properties()
    properties.load(text)
    return [{key: properties[key].data for key in properties}]


def read_dockerfile(text: str) -> list[Any]:
    # dockerfile-parse knows no heredocs (their lines come out as odd instructions): known ones only
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode()))
    known = {"ARG", "FROM", "WORKDIR", "RUN", "COPY", "ENV", "USER", "HEALTHCHECK", "CMD", "ENTRYPOINT", "EXPOSE"}
    return [[(s["instruction"], s["startline"] + 1, s["value"]) for s in parser.structure if s["instruction"] in known]]


def dockerfile_as_rows(documents: list[Document]) -> list[Any]:
    return [[(i["instruction"], i["line"], i["value"].split("\n")[0]) for i in d.data] for d in documents]


def as_data(documents: list[Document]) -> list[Any]:
    return [d.data for d in documents]


Reader = Callable[[str], list[Any]]
Projection = Callable[[list[Document]], list[Any]]
# format -> (an independent reading of the text, the same view of what the parser returned)
READERS: dict[str, tuple[Reader, Projection]] = {
    "yaml": (read_yaml, as_data),
    "json": (lambda text: [simplejson.loads(text)], as_data),
    "jsonc": (lambda text: [json5.loads(text)], as_data),
    "json5": (lambda text: [json5.loads(text)], as_data),
    "toml": (read_toml, as_data),
    "ini": (read_ini, ini_as_iniconfig),
    "xml": (read_xml, as_data),
    "hcl2": (read_hcl1, hcl2_as_hcl1),
    "dotenv": (read_dotenv, as_data),
    "properties": (read_properties, as_data),
    "dockerfile": (read_dockerfile, dockerfile_as_rows),
}


def resolve(data: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def case_file(case: Path) -> Path:
    inputs = [p for p in case.iterdir() if p.name != "expected.yaml"]
    assert len(inputs) == 1, f"{case}: one input file expected, found {inputs}"
    return inputs[0]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_parser_case(case: Path) -> None:
    parser_name = case.parent.name
    text = case_file(case).read_text(encoding="utf-8")
    expected = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    parse = PARSERS[parser_name]
    if "failure" in expected:
        want = expected["failure"]
        with pytest.raises(ParseFailure) as caught:
            parse(text)
        assert caught.value.line == want["line"], caught.value
        if "column" in want:
            assert caught.value.column == want["column"], caught.value
        assert want["reason"] in caught.value.reason
        return
    documents = parse(text)
    reader, view = READERS[parser_name]
    assert view(documents) == reader(text)
    assert len(documents) == len(expected["documents"])
    for document, want_doc in zip(documents, expected["documents"], strict=True):
        assert document.line == want_doc["line"]
        assert len(want_doc["lines"]) >= 5
        found = {pointer: document.lines.get(pointer) for pointer in want_doc["lines"]}
        assert found == want_doc["lines"]
        for pointer in document.lines:
            resolve(document.data, pointer)  # every recorded pointer names a value of the data


def test_every_format_has_cases() -> None:
    formats = {c.parent.name for c in CASES}
    assert formats == set(PARSERS) == set(READERS)
    for name in formats:
        kinds = {"failure" if "failure" in yaml.safe_load((c / "expected.yaml").read_text()) else "data"
                 for c in CASES if c.parent.name == name}
        assert kinds == {"failure", "data"}, f"{name}: needs both a readable and a broken case"

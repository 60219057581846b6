"""The parsers of the ``files`` collector: the text of one file -> its documents, each JSON-shaped data plus
a JSON pointer -> source line table. One module per format: a well-kept library reads the data and, where
it gives no positions, a second linear pass over the text finds the lines. ``PARSERS`` lists them
explicitly (no discovery). Every failure is a ``ParseFailure`` with the format's own line and column, never
another exception and never a hang. Data models and position granularity per format:
docs/structured-files.md.
"""

from __future__ import annotations

from collections.abc import Callable

from anops_policy.collectors.files.parsers.dockerfile_parser import parse_dockerfile
from anops_policy.collectors.files.parsers.dotenv_parser import parse_dotenv
from anops_policy.collectors.files.parsers.hcl2_parser import parse_hcl2
from anops_policy.collectors.files.parsers.ini_parser import parse_ini
from anops_policy.collectors.files.parsers.json5_parser import parse_json5
from anops_policy.collectors.files.parsers.json_parser import parse_json
from anops_policy.collectors.files.parsers.model import Document, ParseFailure, guarded
from anops_policy.collectors.files.parsers.properties_parser import parse_properties
from anops_policy.collectors.files.parsers.toml_parser import parse_toml
from anops_policy.collectors.files.parsers.xml_parser import parse_xml
from anops_policy.collectors.files.parsers.yaml_parser import parse_yaml

__all__ = ["PARSERS", "Document", "ParseFailure"]

# parser name (as an input's `parser:` names it) -> parse(text) -> documents
PARSERS: dict[str, Callable[[str], list[Document]]] = {
    "yaml": guarded(parse_yaml),
    "json": guarded(parse_json),
    "jsonc": guarded(parse_json5),  # JSONC is a subset of JSON5: one reader (json5_parser.py says why)
    "json5": guarded(parse_json5),
    "toml": guarded(parse_toml),
    "ini": guarded(parse_ini),
    "xml": guarded(parse_xml),
    "hcl2": guarded(parse_hcl2),
    "dotenv": guarded(parse_dotenv),
    "properties": guarded(parse_properties),
    "dockerfile": guarded(parse_dockerfile),
}

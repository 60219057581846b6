"""A fast "is this fact section valid?" answer from ``jsonschema_rs`` (a Rust JSON Schema validator), the
only module that imports it.

Validating a collector's section with the pure-Python ``jsonschema`` costs ~20 µs per schema node: on a
big repository (thousands of TODO items, tests and functions, each also listed ``by_path``) that is
seconds per run. The Rust validator answers the same question ~100× faster. It is used only as a
shortcut for the common case: when it says *valid* the section is accepted; in every other case (invalid,
not installed, a value it cannot read) ``facts.section_errors`` runs ``jsonschema`` as before, so the
messages and every rejection stay ``jsonschema``'s own.

The two libraries differ on values that are not plain JSON (a tuple is an array to the Rust validator,
not to ``jsonschema``), so the shortcut only applies to sections built from dict/list/str/int/float/bool/
None with string keys (``plain_json``). Formats are annotations in both (``jsonschema`` checks none
without a format checker). ``tests/collectors/test_schema_fast.py`` runs both on every collector golden and on
broken variants of them and demands the same verdict.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from anops_policy.validation import BASE_URI, fact_fragment_names, load_fact_fragment, load_schema, schema_names

_PLAIN_SCALARS = (str, int, float, bool, type(None))


def plain_json(value: Any) -> bool:
    """Whether ``value`` is made only of JSON's own Python types (exact types, string keys)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            for key, child in item.items():
                if type(key) is not str:
                    return False
                stack.append(child)
        elif kind is list:
            stack.extend(item)
        elif kind not in _PLAIN_SCALARS:
            return False
    return True


def _rust_validator(ref: str) -> Any:
    """A Rust validator for ``{"$ref": ref}`` over every project and fact schema, or None when
    ``jsonschema_rs`` is not installed or cannot compile the schemas (jsonschema then decides alone)."""
    try:
        import jsonschema_rs  # noqa: PLC0415 - optional, and only collection and fact files need it
    except ImportError:
        return None
    try:
        return jsonschema_rs.Draft202012Validator({"$ref": ref}, registry=_registry(), validate_formats=False)
    except Exception:  # a schema it cannot compile: jsonschema decides alone
        return None


@cache
def _registry() -> Any:
    """Every project and fact schema, in one ``jsonschema_rs.Registry`` shared by the run's validators."""
    import jsonschema_rs  # noqa: PLC0415 - see _rust_validator

    resources = [(BASE_URI + f"{n}.schema.json", load_schema(n)) for n in schema_names()]
    resources += [(BASE_URI + f"facts/{n}.schema.json", load_fact_fragment(n)) for n in fact_fragment_names()]
    return jsonschema_rs.Registry(resources)


@cache
def _section_validator(name: str) -> Any:
    """The Rust validator for fact section ``name``, or None when unavailable."""
    return _rust_validator(f"{BASE_URI}facts/{name}.schema.json")


@cache
def _schema_validator(name: str) -> Any:
    """The Rust validator for the project schema ``name`` (``config``, ``policy``, ``pack`` …), or None."""
    return _rust_validator(f"{BASE_URI}{name}.schema.json")


@cache
def _document_validator() -> Any:
    """The Rust validator for a whole fact document (``eval --facts``), or None when unavailable."""
    return _rust_validator(f"{BASE_URI}fact-document.schema.json")


def _certainly_valid(validator: Any, data: Any) -> bool:
    """True only when ``data`` is plain JSON and ``validator`` (None: unavailable) accepts it."""
    if validator is None or not plain_json(data):
        return False
    try:
        return bool(validator.is_valid(data))
    except Exception:  # a value it cannot convert (e.g. an integer beyond 64 bits)
        return False


def document_valid(document: Any) -> bool:
    """``section_valid`` for a whole fact document read from a file: a saved document of a big repository
    took seconds in ``jsonschema`` before any policy ran. False means "ask jsonschema"."""
    return _certainly_valid(_document_validator(), document)


def section_valid(name: str, section: Any) -> bool:
    """True only when the section is certainly valid (plain JSON and the Rust validator accepts it);
    False means "ask jsonschema"."""
    return _certainly_valid(_section_validator(name), section)


def schema_valid(name: str, data: Any) -> bool:
    """``section_valid`` for a document of project schema ``name`` (a config, a policy, a pack file …):
    True only when certainly valid; False means "ask jsonschema", which also words every rejection."""
    return name in schema_names() and _certainly_valid(_schema_validator(name), data)

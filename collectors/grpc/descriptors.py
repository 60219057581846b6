"""What generated Python stubs define, independent of the generator version: the serialized file
descriptor a ``_pb2.py`` registers (and the proto path in it), and the method table of a ``_pb2_grpc.py``."""

from __future__ import annotations

import ast

_PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)  # deep nesting ends in the last two


def descriptor_of(text: str) -> bytes | None:
    """The serialized FileDescriptorProto a ``_pb2.py`` registers (``AddSerializedFile(b'…')`` or the
    older ``FileDescriptor(serialized_pb=b'…')``)."""
    try:
        tree = ast.parse(text)
    except _PARSE_ERRORS:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name == "AddSerializedFile" and node.args and isinstance(node.args[0], ast.Constant):
            value = node.args[0].value
            return value if isinstance(value, bytes) else None
        if name == "FileDescriptor":
            for kw in node.keywords:
                if (
                    kw.arg == "serialized_pb"
                    and isinstance(kw.value, ast.Constant)
                    and isinstance(kw.value.value, bytes)
                ):
                    return kw.value.value
    return None


def descriptor_name(data: bytes) -> str | None:
    """Field 1 (``name``) of a serialized FileDescriptorProto: the proto's path as protoc saw it."""
    if len(data) < 2 or data[0] != 0x0A:
        return None
    length, shift, k = 0, 0, 1
    while k < len(data):
        byte = data[k]
        length |= (byte & 0x7F) << shift
        k += 1
        if not byte & 0x80:
            break
        shift += 7
    try:
        return data[k : k + length].decode("utf-8")
    except UnicodeDecodeError:
        return None


def grpc_signature(text: str) -> list[tuple[str, str, str, str]] | None:
    """What a ``_pb2_grpc.py`` defines, independent of the generator version: for each client method,
    (method path, cardinality, request type, response type)."""
    try:
        tree = ast.parse(text)
    except _PARSE_ERRORS:
        return None
    out: set[tuple[str, str, str, str]] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in ("unary_unary", "unary_stream", "stream_unary", "stream_stream"):
            continue
        if not (node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            continue
        kw = {k.arg: _dotted(k.value).rsplit(".", 1)[0] for k in node.keywords if k.arg}
        out.add(
            (node.args[0].value, node.func.attr, kw.get("request_serializer", ""), kw.get("response_deserializer", ""))
        )
    return sorted(out)


def _dotted(node: ast.AST) -> str:
    """``a.b.C.SerializeToString`` → its dotted text (iterative; anything else → "")."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""

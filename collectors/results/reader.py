"""Reading the matched files of the ``tests`` collector: each one is parsed (JUnit XML, TRX, ``go test -json``,
cargo output), an error (a result file that could not be read, including a test-result format this collector
does not read, named by ``format``) or ignored (not test results). Every input is hostile: read with a size
limit, XML through defusedxml, and any failure is an entry naming the file, never a traceback."""

from __future__ import annotations

from anops_policy.collectors.results.cargo import looks_like_cargo, parse_cargo
from anops_policy.collectors.results.gotest import looks_like_go_test_json, parse_go_test_json
from anops_policy.collectors.results.junit import is_coverage_root, parse_junit
from anops_policy.collectors.results.model import ResultFile, ResultFileError
from anops_policy.collectors.results.paths import PathMapper
from anops_policy.collectors.results.safe_xml import local, parse_xml
from anops_policy.collectors.results.sniff import ADVICE, UNSUPPORTED, not_results, unsupported_text, unsupported_xml
from anops_policy.collectors.results.trx import is_trx_root, parse_trx

from anops_policy.collection.collector import CollectContext

IGNORED_SUFFIXES = (
    ".html", ".htm", ".css", ".js", ".map", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webm", ".zip", ".gz",
    ".trace", ".md",
)
XML_SUFFIXES = (".xml", ".trx")


class ResultReader:
    """Sort each matched file into parsed, errors or ignored."""

    def __init__(self, ctx: CollectContext, mapper: PathMapper, max_bytes: int) -> None:
        self.ctx = ctx
        self.mapper = mapper
        self.max_bytes = max_bytes
        self.parsed: list[ResultFile] = []
        self.errors: list[dict[str, str]] = []
        self.ignored: list[dict[str, str]] = []

    def read(self, path: str) -> None:
        lower = path.lower()
        if lower.endswith(IGNORED_SUFFIXES):
            self._ignore(path, "not a test-result format (by file name)")
            return
        before = len(self.ctx.skips)
        data = self.ctx.read_bytes(path, max_bytes=self.max_bytes)
        if data is None:
            reason = self.ctx.skips[-1].reason if len(self.ctx.skips) > before else "unreadable"
            self.errors.append({"path": path, "reason": f"not read: {reason}"})
            return
        if b"\0" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 XML has NULs
            self._ignore(path, "binary file")
            return
        head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            head = data[:1024].decode("utf-16", errors="replace").lstrip("\ufeff \t\r\n").encode()
        try:
            if lower.endswith(XML_SUFFIXES) or head.startswith((b"<?xml", b"<testsuite", b"<TestRun")):
                strict = lower.endswith(XML_SUFFIXES) or head.startswith((b"<testsuite", b"<TestRun"))
                self._xml(path, data, strict=strict)
            else:
                self._text(path, data)
        except ResultFileError as exc:
            self.errors.append({"path": path, "reason": str(exc)})
        except RecursionError:
            self.errors.append({"path": path, "reason": "XML nested too deeply"})

    def _xml(self, path: str, data: bytes, *, strict: bool) -> None:
        root = parse_xml(data)
        coverage = is_coverage_root(root)
        unsupported = unsupported_xml(root)
        if coverage is not None:
            self._ignore(path, coverage)
        elif unsupported is not None:
            self._unsupported(path, unsupported)
        elif is_trx_root(root):
            self.parsed.append(parse_trx(path, root, self.mapper))
        elif local(root.tag) in ("testsuites", "testsuite") or strict:
            self.parsed.append(parse_junit(path, root, self.mapper))
        else:
            self._ignore(path, f"XML with root <{local(root.tag)}>, not JUnit")

    def _text(self, path: str, data: bytes) -> None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self._ignore(path, f"not UTF-8 text (byte {exc.start})")
            return
        if looks_like_go_test_json(text):
            self.parsed.append(parse_go_test_json(path, text, self.mapper))
        elif looks_like_cargo(text):
            self.parsed.append(parse_cargo(path, text, self.mapper))
        elif (known := not_results(text, path.lower())) is not None:
            self._ignore(path, known)
        elif (unsupported := unsupported_text(text)) is not None:
            self._unsupported(path, unsupported)
        else:
            self._ignore(path, "not a recognised test-result format")

    def _unsupported(self, path: str, format_id: str) -> None:
        self.errors.append({"path": path, "format": format_id, "reason": f"{UNSUPPORTED[format_id]}: {ADVICE}"})

    def _ignore(self, path: str, reason: str) -> None:
        self.ignored.append({"path": path, "reason": reason})

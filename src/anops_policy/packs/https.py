"""Pack archives served over https: fetched with a timeout and a size bound, never over plain http (a
redirect to http is refused too). Certificates are checked against the system's store (``SSL_CERT_FILE``
names another bundle)."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from anops_policy.errors import ConfigError
from anops_policy.packs.archive import MAX_ARCHIVE_BYTES, Archive, read_archive
from anops_policy.packs.fetch_errors import Unreachable
from anops_policy.packs.sources import Source

TIMEOUT_S = 30.0


class _HttpsOnly(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if not newurl.startswith("https://"):
            raise ConfigError(f"{req.full_url}: redirected to {newurl[:200]}, which is not https; refusing it")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(source: Source) -> Archive:
    opener = urllib.request.build_opener(_HttpsOnly())
    request = urllib.request.Request(source.location, headers={"User-Agent": "anops-policy"})
    try:
        with opener.open(request, timeout=TIMEOUT_S) as response:
            data: bytes = response.read(MAX_ARCHIVE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 410, 401, 403):
            raise ConfigError(f"{source.text}: HTTP {exc.code} {exc.reason}") from None
        raise Unreachable(f"{source.text}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise Unreachable(f"{source.text}: cannot fetch: {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        raise Unreachable(f"{source.text}: cannot fetch: {exc}") from None
    return read_archive(data, source.text)

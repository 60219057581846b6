"""What a test function does, as signals (environment changes, asserted statuses and codes, expected
exceptions, services started and stopped), and how signals merge and become facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# One shared empty set for every empty field of a kept (``compact``) ``Signals``: a test suite has one
# per function and one per closure, nearly all empty, and an empty ``set`` costs ~200 bytes each.
_EMPTY: Any = frozenset()


@dataclass(slots=True)
class Signals:
    sets_env: set[str] = field(default_factory=set)
    deletes_env: set[str] = field(default_factory=set)
    http_statuses: set[int] = field(default_factory=set)
    grpc_codes: set[str] = field(default_factory=set)
    raises: set[str] = field(default_factory=set)
    starts: set[tuple[int, str]] = field(default_factory=set)
    stops: set[tuple[int, str]] = field(default_factory=set)
    invalid_address: bool = False
    stops_dependency: bool = False

    def merge(self, other: Signals, *, own_flags: bool = False) -> None:
        self.sets_env |= other.sets_env
        self.deletes_env |= other.deletes_env
        self.http_statuses |= other.http_statuses
        self.grpc_codes |= other.grpc_codes
        self.raises |= other.raises
        self.starts |= other.starts
        self.stops |= other.stops
        self.invalid_address = self.invalid_address or other.invalid_address
        if own_flags:
            self.stops_dependency = self.stops_dependency or other.stops_dependency

    def compact(self) -> Signals:
        """Empty fields replaced by the shared empty set; the result is only read or merged *from*
        (merging into it rebinds a field, never mutates the shared set)."""
        for name in ("sets_env", "deletes_env", "http_statuses", "grpc_codes", "raises", "starts", "stops"):
            if not getattr(self, name):
                setattr(self, name, _EMPTY)
        return self

    def negative_path(self) -> list[str]:
        """The kinds of failure the test drives, when it asserts the error the caller sees (an error
        status, a gRPC error code, an expected exception). Stopping a service or aiming at an unreachable
        address without asserting an error is not a negative path: a graceful-shutdown test stops the
        server it tests and asserts that it stopped well."""
        kinds = []
        if any(code >= 400 for code in self.http_statuses):
            kinds.append("error_status")
        if self.grpc_codes - {"OK"}:
            kinds.append("error_grpc_code")
        if self.raises:
            kinds.append("raises")
        if not kinds:
            return kinds
        if self.stops_dependency:
            kinds.append("stops_dependency")
        if self.invalid_address:
            kinds.append("invalid_address")
        return kinds

    def fact(self) -> dict[str, Any]:
        return {
            "sets_env": sorted(self.sets_env),
            "deletes_env": sorted(self.deletes_env),
            "http_statuses": sorted(self.http_statuses),
            "grpc_codes": sorted(self.grpc_codes),
            "raises": sorted(self.raises),
            "starts_service": bool(self.starts),
            "stops_service": bool(self.stops),
        }

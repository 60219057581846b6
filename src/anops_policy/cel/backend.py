"""The backend seam: Google's C++ runtime (cel/native.py) when installed and chosen, cel-python for the
rest; the choice (``$ANOPS_CEL_BACKEND``) is made once, on first use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import celpy.adapter
import celpy.celtypes as ct

from anops_policy.cel.functions import EXTRA_FUNCTIONS
from anops_policy.cel.values import MAX_VALUE_LENGTH

BACKEND_ENV = "ANOPS_CEL_BACKEND"
BACKENDS = ("auto", "native", "python")


@dataclass
class _Backend:
    choice: str | None = None  # None: not chosen yet
    native: Any = None  # a cel_native.NativeBackend when the choice is native


_BACKEND = _Backend()


def use_backend(name: str | None = None) -> str:
    """Select ``auto`` (when ``cel-expr-python`` is installed, C++ for the expressions where it measurably pays:
    cel/native_auto.py), ``native`` (C++ for every expression it can run) or ``python``; ``None`` reads
    ``$ANOPS_CEL_BACKEND``. Returns the seam now in use: ``native`` (auto included) or ``python``."""
    import os  # noqa: PLC0415 - read once, when the first expression is evaluated

    choice = (name or os.environ.get(BACKEND_ENV) or "auto").strip().lower()
    if choice not in BACKENDS:
        from anops_policy.errors import ConfigError  # noqa: PLC0415

        raise ConfigError(f"{BACKEND_ENV}={choice!r}: expected one of {', '.join(BACKENDS)}")
    _BACKEND.native = None
    if choice != "python":
        try:
            from anops_policy.cel import native as cel_native  # noqa: PLC0415 - optional dependency (extra "fast")
        except ImportError:
            if choice == "native":
                from anops_policy.errors import ConfigError  # noqa: PLC0415

                raise ConfigError(
                    f"{BACKEND_ENV}=native, but cel-expr-python is not installed (pip install 'anops-policy[fast]')"
                ) from None
        else:
            from anops_policy.cel.native_values import Bridge  # noqa: PLC0415 - with the optional backend

            bridge = Bridge(
                celpy.adapter.json_to_cel,
                ct.BoolType,
                ct.UintType,
                ct.StringType,
                lambda v: int.__new__(ct.IntType, v),  # IntType() builds a range-check wrapper per call
                ct.ListType,
                ct.MapType,
                EXTRA_FUNCTIONS,
                MAX_VALUE_LENGTH,
            )
            _BACKEND.native = cel_native.NativeBackend(bridge, auto=choice == "auto")
    _BACKEND.choice = "python" if _BACKEND.native is None else "native"
    return _BACKEND.choice


def native_backend() -> Any:
    """The native backend in use (a ``cel_native.NativeBackend``), or None when cel-python decides everything."""
    if _BACKEND.choice is None:
        use_backend()
    return _BACKEND.native


def backend_stats() -> dict[str, Any]:
    """Which backend decided how many evaluations (and why cel-python had to), for debugging and benchmarks."""
    native = native_backend()
    if native is None:
        return {"backend": "python"}
    stats = native.stats
    return {"backend": "native", "native": stats.native, "python": stats.python, "reasons": dict(stats.reasons)}

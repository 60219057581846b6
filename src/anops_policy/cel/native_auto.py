"""``auto``'s choice between the C++ runtime and cel-python for one expression, from measured times (used by
``cel/native.py``; the measurements behind the constants: benchmarks/cel_backends/crossover.py and
benchmarks/README.md, "CEL backends")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# C++ takes an expression once cel-python has spent this long on it (compiling one costs ~3 ms)
AUTO_BUY_S = 0.003
# ... plus, for the first expression of a thread, what starting the C++ environment costs (importing protobuf,
# declaring the functions: ~15 ms measured on the 2-core CI machine): a small repository's whole evaluation
# costs less than that, and its expressions stay in cel-python
AUTO_ENV_S = 0.015
AUTO_SAMPLES = 10  # C++ evaluations (the first compiles) timed before auto compares them with cel-python's
# C++ keeps an expression only when its mean time is under this share of cel-python's: results come back as
# new cel-python values and its conversions make garbage, costs paid outside the timed evaluation
AUTO_MARGIN = 0.5


@dataclass
class Timing:
    """``auto``'s record of one expression: what each runtime has cost it (see ``pays``)."""

    tree: Any
    python_s: float = 0.0
    python_n: int = 0
    native_s: float = 0.0  # C++ evaluations, the first (which compiles) included
    native_n: int = 0
    state: str = "renting"  # then "bought" (C++ compiles it at its next evaluation), then "compiled"


def pays(record: Timing, env_started: bool = True) -> bool:
    """``auto``: whether C++ should evaluate this expression now, from what it has cost so far.

    Compiling an expression for C++ costs about as much as a few cel-python evaluations of a small one
    (benchmarks/cel_backends/crossover.py), so cel-python evaluates it until the time it has spent on it
    reaches ``AUTO_BUY_S``; then C++ takes it (renting until the rent equals the price is never worse than
    twice the best choice made knowing the future). After ``AUTO_SAMPLES`` C++ evaluations the two
    runtimes' mean times are compared and C++ keeps the expression only if it is clearly faster
    (``AUTO_MARGIN``): on a cheap look-up, C++'s conversions of inputs and results can cost more than
    cel-python's whole evaluation. Expressions evaluated once and cheaply never pay for a compilation,
    nor for being printed for C++. Until the thread's C++ environment is started (``env_started``), the
    price of an expression includes starting it (``AUTO_ENV_S``)."""
    if record.native_n >= AUTO_SAMPLES:
        return record.native_s / record.native_n < AUTO_MARGIN * record.python_s / max(record.python_n, 1)
    price = AUTO_BUY_S if env_started else AUTO_BUY_S + AUTO_ENV_S
    if record.state == "renting" and record.python_s >= price:
        record.state = "bought"
    return record.state != "renting"

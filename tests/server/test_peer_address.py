"""Refused credentials are counted per network address: a gRPC peer without its port."""

from __future__ import annotations

import pytest

from anops_policy.server.call_limits import LimitExceeded, RefusalBudget, peer_address


@pytest.mark.parametrize(("peer", "address"), [
    ("ipv4:10.0.0.7:51234", "ipv4:10.0.0.7"),
    ("ipv6:[::1]:51234", "ipv6:[::1]"),
    ("ipv6:[2001:db8::5]:443", "ipv6:[2001:db8::5]"),
    ("unix:/run/anops.sock", "unix:/run/anops.sock"),
    ("", ""),
])
def test_peer_address(peer: str, address: str) -> None:
    assert peer_address(peer) == address


def test_each_address_has_its_own_budget() -> None:
    budget = RefusalBudget(2)
    for _ in range(2):
        budget.check("ipv4:10.0.0.7")
        budget.spend("ipv4:10.0.0.7")
    with pytest.raises(LimitExceeded, match="over 2 refused credentials per minute"):
        budget.check("ipv4:10.0.0.7")
    budget.check("ipv4:10.0.0.8")  # another address is heard

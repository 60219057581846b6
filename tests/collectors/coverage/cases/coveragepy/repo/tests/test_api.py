from orders.api import create


def test_create():
    assert create([("apple", 1)]).items == [("apple", 1)]

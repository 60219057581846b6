def test_unit() -> None:
    assert 1 + 1 == 2

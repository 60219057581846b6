def test_smoke() -> None:
    assert True

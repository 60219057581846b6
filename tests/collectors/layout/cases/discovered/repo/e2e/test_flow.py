def test_flow() -> None:
    assert "flow"

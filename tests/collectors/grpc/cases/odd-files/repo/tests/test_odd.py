from pathlib import Path

def test_broken_python_is_skipped(:
    assert Path("api/odd_pb2.py").exists()

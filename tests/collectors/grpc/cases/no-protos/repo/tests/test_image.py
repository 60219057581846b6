import subprocess

IMAGE = "registry.example.com/anops/worker:1.4.2"


def image_exists(tag: str) -> bool:
    result = subprocess.run(["podman", "images", "--quiet", tag], capture_output=True, text=True, check=False)
    return bool(result.stdout.strip())


def test_worker_image_is_built():
    assert image_exists(IMAGE)


def test_handler_echoes():
    from app import handler

    assert handler("x")["event"] == "x"

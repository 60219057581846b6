import pytest


@pytest.fixture
def stack():
    from testcontainers.compose import DockerCompose

    with DockerCompose(".", compose_file_name="compose.yaml") as compose:
        yield compose


def test_invoice_created(stack):
    assert stack.get_service_host("billing", 8000)

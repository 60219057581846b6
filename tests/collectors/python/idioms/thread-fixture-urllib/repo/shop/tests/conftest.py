import threading

import pytest

from server import make_server


@pytest.fixture
def base_url():
    httpd = make_server(port=0)
    worker = threading.Thread(target=httpd.serve_forever, daemon=True)
    worker.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    worker.join(timeout=5)

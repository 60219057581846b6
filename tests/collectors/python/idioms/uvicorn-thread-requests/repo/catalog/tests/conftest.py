import os
import threading
import time
from unittest import mock

import pytest
import uvicorn


PORT = 8765


@pytest.fixture(scope="session")
def live_api():
    with mock.patch.dict(os.environ, {"CATALOG_DB_URL": "sqlite://", "CATALOG_PAGE_SIZE": "5"}):
        from catalog.main import app

        server = uvicorn.Server(uvicorn.Config(app, port=PORT, log_level="warning"))
        thread = threading.Thread(target=server.run)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        yield f"http://127.0.0.1:{PORT}"
        server.should_exit = True
        thread.join()

import subprocess
import sys
import threading
import unittest
import urllib.request
from http.server import HTTPServer, SimpleHTTPRequestHandler

import pytest


@pytest.fixture
def served():
    proc = subprocess.Popen([sys.executable, "-m", "tool"])
    yield proc
    proc.terminate()
    proc.wait(timeout=10)


def test_fixture_stops_it(served):
    with urllib.request.urlopen("http://127.0.0.1:8765/", timeout=5) as response:
        assert response.status == 200


def test_stopped_only_after_the_assertion():
    proc = subprocess.Popen([sys.executable, "-m", "tool"])
    with urllib.request.urlopen("http://127.0.0.1:8765/", timeout=5) as response:
        assert response.status == 200
    proc.terminate()


def test_stopped_in_finally():
    proc = subprocess.Popen([sys.executable, "-m", "tool"])
    try:
        with urllib.request.urlopen("http://127.0.0.1:8765/", timeout=5) as response:
            assert response.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_stopped_before_anything_is_asserted():
    httpd = HTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    thread = threading.Thread(target=httpd.serve_forever)
    thread.start()
    httpd.shutdown()
    thread.join()
    assert not thread.is_alive()


class ServeTest(unittest.TestCase):
    def setUp(self):
        self.httpd = HTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
        self.thread = threading.Thread(target=self.httpd.serve_forever)
        self.thread.start()

    def tearDown(self):
        self.httpd.shutdown()
        self.thread.join()

    def test_root(self):
        port = self.httpd.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            self.assertEqual(response.status, 200)


class CleanupTest(unittest.TestCase):
    def test_cleanup_registered(self):
        proc = subprocess.Popen([sys.executable, "-m", "tool"])
        self.addCleanup(proc.terminate)
        with urllib.request.urlopen("http://127.0.0.1:8765/", timeout=5) as response:
            self.assertEqual(response.status, 200)


@pytest.fixture
def make_server():
    servers = []

    def make():
        httpd = HTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
        servers.append(httpd)
        return httpd

    yield make
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def test_factory_fixture_stops_what_it_made(make_server):
    httpd = make_server()
    thread = threading.Thread(target=httpd.serve_forever)
    thread.start()
    port = httpd.server_address[1]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
        assert response.status == 200

import os
import tempfile
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from support import LiveServerTestBase


class UploadTests(LiveServerTestBase):
    def setUp(self):
        self.folder = tempfile.mkdtemp()
        os.environ["REPORTS_DIR"] = self.folder
        os.environ["REPORTS_MAX_BYTES"] = "16"
        self.addCleanup(os.environ.pop, "REPORTS_DIR", None)

    def put(self, name, body):
        return urlopen(Request(f"{self.base}/{name}", data=body, method="PUT"))

    def test_small_report_is_stored(self):
        with self.put("a.txt", b"ok") as resp:
            self.assertEqual(resp.status, 201)
        self.assertTrue(os.path.exists(os.path.join(self.folder, "a.txt")))

    def test_report_over_the_limit_is_refused(self):
        with self.assertRaises(HTTPError) as cm:
            self.put("big.txt", b"x" * 64)
        self.assertEqual(cm.exception.code, 413)

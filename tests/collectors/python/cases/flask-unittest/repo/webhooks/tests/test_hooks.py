import hmac
import os
import unittest
from unittest import mock

import app as webhooks


def sign(body, secret="s3cr3t"):
    return hmac.new(secret.encode(), body, "sha256").hexdigest()


@mock.patch.dict(os.environ, {"WEBHOOK_SECRET": "s3cr3t"}, clear=True)
class HookTests(unittest.TestCase):
    def setUp(self):
        webhooks.SECRET = "s3cr3t"
        self.client = webhooks.app.test_client()

    def tearDown(self):
        webhooks.SECRET = ""

    def test_valid_signature(self):
        body = b'{"tags": []}'
        response = self.client.post("/hooks", data=body, headers={"X-Signature": sign(body)})
        self.assertEqual(response.status_code, 200)

    def test_bad_signature_is_401(self):
        response = self.client.post("/hooks", data=b"{}", headers={"X-Signature": "nope"})
        self.assertEqual(401, response.status_code)

    def test_not_json_is_400(self):
        body = b"not json"
        response = self.client.post("/hooks", data=body, headers={"X-Signature": sign(body)})
        assert response.status_code == 400

    def test_forward_url_unset(self):
        with mock.patch.dict("os.environ", {"FORWARD_URL": "http://forward.invalid/hooks"}):
            self.assertIsNone(webhooks.FORWARD_URL)

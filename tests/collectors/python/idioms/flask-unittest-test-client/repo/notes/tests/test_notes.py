import os
import unittest
from unittest import mock

from app import app


@mock.patch.dict(os.environ, {"NOTES_STORAGE": "memory"})
class NotesApiTest(unittest.TestCase):
    def setUp(self):
        self.client = app.test_client()

    def test_add(self):
        resp = self.client.post("/notes", json={"text": "hi"})
        self.assertEqual(resp.status_code, 201)

    def test_text_must_be_a_string(self):
        resp = self.client.post("/notes", json={"text": 3})
        self.assertEqual(resp.status_code, 400)
        self.assertIn("expected", resp.get_json()["error"])

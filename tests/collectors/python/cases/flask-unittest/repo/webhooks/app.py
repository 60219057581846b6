import contextlib
import hmac
import json
import os

from flask import Flask, abort, request

app = Flask(__name__)
SECRET = os.environ.get("WEBHOOK_SECRET", "")
FORWARD_URL = os.getenv("FORWARD_URL")


def verify(body, signature):
    try:
        expected = hmac.new(SECRET.encode(), body, "sha256").hexdigest()
    except:
        return False
    return hmac.compare_digest(expected, signature or "")


def forward(event):
    import requests

    try:
        requests.post(FORWARD_URL, json=event, timeout=2)
    except Exception:
        print("forward failed")


@app.post("/hooks")
def receive():
    if not verify(request.get_data(), request.headers.get("X-Signature")):
        abort(401)
    try:
        event = json.loads(request.get_data())
    except ValueError:
        abort(400)
    with contextlib.suppress(Exception):
        forward(event)
    for key in event.get("tags", []):
        try:
            int(key)
        except ValueError:
            continue
    return {"ok": True}


if __name__ == "__main__":
    print("listening on 5000")
    app.run(port=int(os.environ["PORT"]))

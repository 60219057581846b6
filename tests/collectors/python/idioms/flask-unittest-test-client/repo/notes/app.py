import os

from flask import Flask, jsonify, request

app = Flask(__name__)
STORAGE = os.environ.get("NOTES_STORAGE", "memory")
NOTES = []


@app.post("/notes")
def add_note():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return jsonify(error="expected {\"text\": string}"), 400
    NOTES.append(body["text"])
    return jsonify(count=len(NOTES)), 201

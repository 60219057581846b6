"""Billing API. BILLING_DB_URL is required: the service refuses to start without it."""

import os

from flask import Flask, jsonify


class SettingsError(RuntimeError):
    pass


def create_app() -> Flask:
    try:
        db_url = os.environ["BILLING_DB_URL"]
    except KeyError:
        raise SettingsError("BILLING_DB_URL is not set: point it at the billing database") from None
    region = os.environ["BILLING_REGION"]
    app = Flask("billing")
    app.config.update(DB_URL=db_url, REGION=region)

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    return app


if __name__ == "__main__":
    create_app().run(port=int(os.environ.get("BILLING_PORT", "8080")))

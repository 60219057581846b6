import logging
import os

from aiohttp import web

CURRENCY = os.environ.get("PRICES_CURRENCY", "EUR")
DEBUG = os.getenv("PRICES_DEBUG") == "1"


async def quote(request):
    try:
        amount = float(request.query["amount"])
    except (KeyError, ValueError):
        raise web.HTTPBadRequest(text="amount must be a number")
    return web.json_response({"amount": amount, "currency": CURRENCY})


def make_app():
    app = web.Application()
    app.router.add_get("/quote", quote)
    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.DEBUG if DEBUG else logging.INFO)
    web.run_app(make_app(), port=int(os.environ.get("PRICES_PORT", "8080")))

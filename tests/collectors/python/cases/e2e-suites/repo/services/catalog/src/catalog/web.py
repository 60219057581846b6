import os

from aiohttp import web

routes = web.RouteTableDef()


@routes.get("/items/{item_id}")
async def get_item(request):
    item_id = request.match_info["item_id"]
    if not item_id.isdigit():
        raise web.HTTPBadRequest(text="item id must be numeric")
    return web.json_response({"id": int(item_id)})


def make_app():
    app = web.Application()
    app.add_routes(routes)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), port=int(os.getenv("CATALOG_PORT", "8081")))

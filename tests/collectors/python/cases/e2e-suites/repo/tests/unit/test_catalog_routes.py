from catalog.web import make_app


async def test_numeric_id(aiohttp_client):
    client = await aiohttp_client(make_app())
    response = await client.get("/items/7")
    assert response.status == 200


async def test_non_numeric_id_is_400(aiohttp_client):
    client = await aiohttp_client(make_app())
    response = await client.get("/items/seven")
    assert response.status == 400

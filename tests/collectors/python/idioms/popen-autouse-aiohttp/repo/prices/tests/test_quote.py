import aiohttp
import pytest

URL = "http://127.0.0.1:18080/quote"


async def test_quote_in_configured_currency():
    async with aiohttp.ClientSession() as session:
        async with session.get(URL, params={"amount": "2.5"}) as resp:
            assert resp.status == 200
            assert (await resp.json())["currency"] == "CHF"


async def test_amount_that_is_not_a_number():
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        with pytest.raises(aiohttp.ClientResponseError) as e:
            await session.get(URL, params={"amount": "lots"})
    assert e.value.status == 400

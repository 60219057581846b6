import asyncio

import pytest

from tool.servers import App, Server


async def serve_forever(server):
    await server.start("127.0.0.1")
    await server.wait_closed()


@pytest.mark.asyncio
async def test_task_serving_closed_after_an_assertion():
    server = Server()
    loop = asyncio.get_running_loop()
    task = loop.create_task(serve_forever(server))
    done, pending = await asyncio.wait([task], timeout=0.1)
    assert pending and not done
    server.close()


@pytest.mark.asyncio
async def test_task_serving_closed_in_finally():
    server = Server()
    task = asyncio.ensure_future(serve_forever(server))
    try:
        done, pending = await asyncio.wait([task], timeout=0.1)
        assert pending and not done
    finally:
        server.close()


def test_framework_server_never_closed():
    app = App()
    loop = asyncio.new_event_loop()
    coro = app.create_server(port=0, return_asyncio_server=True)
    srv = loop.run_until_complete(coro)
    assert srv.is_serving()


def test_framework_server_closed_at_once():
    app = App()
    loop = asyncio.new_event_loop()
    coro = app.create_server(port=0, return_asyncio_server=True)
    srv = loop.run_until_complete(coro)
    srv.close()
    loop.run_until_complete(srv.wait_closed())

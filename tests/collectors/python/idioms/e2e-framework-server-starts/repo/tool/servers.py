import asyncio


class Server:
    async def start(self, host: str) -> None:
        self._server = await asyncio.start_server(lambda r, w: None, host, 0)

    def close(self) -> None:
        self._server.close()

    async def wait_closed(self) -> None:
        await self._server.wait_closed()


class App:
    async def create_server(self, port: int, return_asyncio_server: bool) -> asyncio.Server:
        return await asyncio.start_server(lambda r, w: None, "127.0.0.1", port)

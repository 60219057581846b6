import os
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

RATES_URL = os.environ.get("LEDGER_RATES_URL", "http://rates.internal")


@asynccontextmanager
async def lifespan(app):
    app.state.rates = httpx.AsyncClient(base_url=RATES_URL)
    yield
    await app.state.rates.aclose()


app = FastAPI(lifespan=lifespan)


class Entry(BaseModel):
    account: str
    cents: int


@app.post("/entries", status_code=201)
async def add(entry: Entry):
    return entry

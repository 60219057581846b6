"""Orders API."""
import logging
import os
from contextlib import asynccontextmanager
from http import HTTPStatus

import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from orders.settings import load_settings

log = logging.getLogger(__name__)


class OrderIn(BaseModel):
    sku: str = Field(min_length=3)
    quantity: int = Field(gt=0, le=1000)


class Store:
    def __init__(self, url):
        self.url = url
        self.orders = {}

    def close(self):
        self.orders.clear()


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings = load_settings()
    app.state.store = Store(settings.database_url)
    log.info("store opened")
    try:
        yield
    finally:
        app.state.store.close()
        log.info("store closed")


app = FastAPI(title="orders", lifespan=lifespan)


@app.post("/orders", status_code=HTTPStatus.CREATED)
def create_order(order: OrderIn):
    store = app.state.store
    order_id = len(store.orders) + 1
    store.orders[order_id] = order
    return {"id": order_id}


@app.get("/orders/{order_id}")
def get_order(order_id: int):
    try:
        return app.state.store.orders[order_id]
    except KeyError:
        raise HTTPException(status_code=404, detail=f"no order {order_id}") from None


if __name__ == "__main__":
    uvicorn.run(app, host="0.0.0.0", port=int(os.environ.get("ORDERS_PORT", 8000)))

import os

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI(title="catalog")
DB_URL = os.environ["CATALOG_DB_URL"]
PAGE_SIZE = int(os.getenv("CATALOG_PAGE_SIZE", "20"))


class Product(BaseModel):
    sku: str
    price_cents: int


@app.get("/products")
def products():
    return {"items": [], "page_size": PAGE_SIZE}


@app.post("/products", status_code=201)
def add(product: Product):
    return product

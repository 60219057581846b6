"""The recommender's HTTP API: recommendations from a customer's purchase history."""

import logging
import os

from fastapi import FastAPI, HTTPException

from recommender import client

logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(message)s")
log = logging.getLogger("recommender")
app = FastAPI()


@app.get("/recommendations/{customer}")
def recommendations(customer: str) -> list[str]:
    if not customer.isalnum():
        raise HTTPException(status_code=400, detail="customer ids are alphanumeric")
    bought = {str(item.get("sku")) for item in client.history(customer)}
    log.info("recommending for %s", customer)
    return sorted(sku for sku in ("a1", "b2", "c3") if sku not in bought)

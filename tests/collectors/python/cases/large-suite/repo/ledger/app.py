import os

from fastapi import FastAPI

app = FastAPI()
LEDGER_DB = os.environ["LEDGER_DB"]


@app.get("/balance/{account}")
def balance(account: str) -> dict:
    return {"account": account, "balance": 0}

import logging.config
import os

from fastapi import FastAPI

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.jsonlogger.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": os.getenv("LOG_LEVEL", "INFO")},
}

logging.config.dictConfig(LOGGING)
app = FastAPI()


@app.get("/accounts/{account_id}")
def get_account(account_id: int):
    logging.getLogger(__name__).info("lookup %s", account_id)
    return {"id": account_id}

import os
import sys

from loguru import logger
from starlette.applications import Starlette

LEVEL = os.getenv("LEDGER_LOG_LEVEL") or "SUCCESS"

logger.remove()
logger.add(sys.stderr, level=LEVEL, serialize=True)
app = Starlette()

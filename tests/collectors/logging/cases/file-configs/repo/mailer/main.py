import logging.config

import yaml
from aiohttp import web

with open("logging.yaml", encoding="utf-8") as fh:
    logging.config.dictConfig(yaml.safe_load(fh))

app = web.Application()

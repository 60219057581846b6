import logging.config
from pathlib import Path

from flask import Flask

logging.config.fileConfig(Path(__file__).with_name("logging.ini"), disable_existing_loggers=False)
logging.config.fileConfig("logging.ini")
app = Flask(__name__)

if __name__ == "__main__":
    app.run(port=5050)

"""Billing runs as a queue worker: no server entry point, but the config calls it a python-service."""
import os


def run():
    queue = os.environ["BILLING_QUEUE"]
    return queue

#!/bin/sh
set -e
pytest tests/smoke -q

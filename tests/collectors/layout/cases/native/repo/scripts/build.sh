#!/bin/sh
set -eu
cmake -B build ringbuf

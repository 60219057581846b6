#!/bin/sh
# wait until the database answers
for i in $(seq 30); do nc -z "$1" "$2" && exit 0; sleep 1; done
exit 1

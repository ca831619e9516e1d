#!/bin/sh
# Start the hotline, then stay in the foreground until the container is stopped.
set -e
/opt/hotline/.venv/bin/hotline start
trap '/opt/hotline/.venv/bin/hotline stop; exit 0' TERM INT
while :; do sleep 3600 & wait $!; done

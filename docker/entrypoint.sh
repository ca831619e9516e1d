#!/bin/sh
# Start the hotline under its supervisord (which restarts a service that dies), then stay in
# the foreground as long as supervisord runs; stopping the container stops the hotline.
set -e
/opt/hotline/.venv/bin/hotline start
trap '/opt/hotline/.venv/bin/hotline stop; exit 0' TERM INT
supervisord_pid=$(cat /var/lib/hotline/run/supervisord.pid)
while kill -0 "$supervisord_pid" 2>/dev/null; do sleep 5 & wait $!; done
echo "supervisord ended; the container stops" >&2
exit 1

#!/usr/bin/env bash
# run.sh - `make run`: migrate, load demo data into an empty database, print an admin token and
# serve the API on SWITCHBOARD_LISTEN (default 127.0.0.1:8080). Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/switchboard
export SWITCHBOARD_DB=${SWITCHBOARD_DB:-./switchboard.db}
export SWITCHBOARD_LISTEN=${SWITCHBOARD_LISTEN:-127.0.0.1:8080}
$BIN migrate
$BIN demo --if-empty --conversations 2000
TOKEN=$($BIN token create --role admin --name "make-run-$(date +%s)" 2>/dev/null)
cat <<MSG

  Switchboard is starting on http://$SWITCHBOARD_LISTEN
  database:    $SWITCHBOARD_DB
  admin token: $TOKEN

  try: curl -H "Authorization: Bearer $TOKEN" http://$SWITCHBOARD_LISTEN/api/admin/communications

MSG
exec $BIN serve

#!/usr/bin/env bash
# Replays the founding case (Borgerrådgiveren, case 2024-0283489) from the command
# line on its own SQLite file, founding-case.db, made anew on every run.
set -euo pipefail
cd "$(dirname "$0")/.."
SAGSFLOW="${SAGSFLOW:-.venv/bin/sagsflow}"
export SAGSFLOW_DATABASE_URL="sqlite:///founding-case.db"
rm -f founding-case.db founding-case.db-wal founding-case.db-shm

run() { echo "\$ sagsflow $*" >&2; "$SAGSFLOW" "$@"; }

run init
run user add bra --role advisor --email borgerraadgiver@example.org
run user add jur --role caseworker --email jurist@example.org --actor bra
run case import examples/founding-case.jsonl
N=2024-0283489
run case fire "$N" receive_reply --actor jur \
    --document "Svar fra Socialforvaltningen" --at 2024-11-10T12:00:00+01:00 >/dev/null
echo "# a caseworker may not close the case:" >&2
run case fire "$N" close --actor jur --data outcome=no_further_action || true
run case fire "$N" close --actor bra --data outcome=no_further_action \
    --document "Afslutningsbrev" --at 2024-11-20T11:00:00+01:00 >/dev/null
run case show "$N"
run audit log "$N"

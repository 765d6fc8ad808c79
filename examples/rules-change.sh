#!/usr/bin/env bash
# When the rules change: a law shortens the administration's reply deadline from
# 20 to 15 working days and adds a legal review before a case is closed. Two
# cases opened under version 3 move to version 4 with `workflow migrate`, on
# their own SQLite file, rules-change.db, made anew on every run (the office's
# version 4 is written to rules-change/ beside it).
set -euo pipefail
cd "$(dirname "$0")/.."
SAGSFLOW="${SAGSFLOW:-.venv/bin/sagsflow}"
export SAGSFLOW_DATABASE_URL="sqlite:///rules-change.db" SAGSFLOW_LANGUAGE=en
rm -f rules-change.db rules-change.db-wal rules-change.db-shm
rm -rf rules-change

run() { echo "\$ sagsflow $*" >&2; "$SAGSFLOW" "$@"; }

run init >/dev/null
run user add bra --role advisor >/dev/null
run user add jur --role caseworker --actor bra >/dev/null
# Under version 3, both sent their inquiry on Monday 16 November 2026: one
# still awaits the reply (due 20 working days later), one has it.
for title in "Klage over ventetid" "Klage over afslag"; do
    run case open ombudsman-inquiry --actor jur --title "$title" \
        --at 2026-11-16T09:00:00+01:00 >/dev/null
done
for n in 2026-0000001 2026-0000002; do
    run case fire "$n" send_inquiry --actor jur --at 2026-11-16T09:30:00+01:00 >/dev/null
    run case fire "$n" mark_dispatched --actor jur --at 2026-11-16T15:00:00+01:00 >/dev/null
done
run case fire 2026-0000002 receive_reply --actor jur \
    --document "Svar fra forvaltningen" --at 2026-12-02T10:00:00+01:00 >/dev/null

# Version 4, the office's own file: the bundled text with the new rules.
mkdir rules-change
sed -e 's/^version: 3$/version: 4/' \
    -e 's/{until: reply_by, within: 20 working days}/{until: reply_by, within: 15 working days}/' \
    -e '/^  closed:$/i\  legal_review:\n    labels: {da: Juridisk gennemsyn, en: Legal review}\n    description: A second lawyer reads the assessment before the case is closed.\n    deadline: {within: 5 working days}' \
    -e '/^  - event: close$/i\  - event: submit_for_review\n    labels: {da: Send til gennemsyn, en: Submit for review}\n    from: assessed\n    to: legal_review\n    roles: [caseworker]\n' \
    -e 's/^    from: assessed$/    from: legal_review/' \
    workflows/ombudsman_inquiry.yaml > rules-change/ombudsman_inquiry.yaml
export SAGSFLOW_WORKFLOWS=rules-change
run workflow validate rules-change

REASON="Lov nr. 1234 af 1. december 2026: svarfrist 15 arbejdsdage; juridisk gennemsyn"
run workflow migrate ombudsman-inquiry --to 4 --map assessed=legal_review \
    --dry-run --actor bra --reason "$REASON"
run workflow migrate ombudsman-inquiry --to 4 --map assessed=legal_review \
    --actor bra --reason "$REASON"
run case explain 2026-0000001
run audit verify

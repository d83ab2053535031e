#!/usr/bin/env bash
# Build a workspace from public data (CDNOW purchases, IBM Telco accounts, Stripe fixtures)
# scan it as of 1998-04-01, and run the main job once at that date, so every customer
# whose purchases collapsed gets a save email in WORKSPACE/mail/.
#
# Usage: examples/public-data/run.sh [WORKSPACE]    (default: ./public-data-workspace)
# Reads the data from $CHURNGUARD_SHARED_DATA, else ../shared/data beside the repository.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
data="${CHURNGUARD_SHARED_DATA:-$repo/../shared/data}"
workspace="${1:-$repo/public-data-workspace}"
churnguard="${CHURNGUARD:-churnguard}"
python="${PYTHON:-python3}"

if [ ! -f "$data/cdnow/CDNOW_sample.txt" ]; then
    echo "error: public data not found in $data; set CHURNGUARD_SHARED_DATA" >&2
    exit 2
fi
if [ -e "$workspace" ]; then
    echo "error: $workspace already exists; remove it or pass another folder" >&2
    exit 2
fi

"$churnguard" init "$workspace" >/dev/null
cat >> "$workspace/churnguard.toml" <<'TOML'

# Quarterly windows suit CDNOW: most customers buy a few times a year.
[detect.silent_churn]
window_days = 90
measure = "quantity"
drop_pct = 70.0
min_events_before = 3
TOML

"$python" "$here/prepare.py" "$data/cdnow/CDNOW_sample.txt" "$workspace/cdnow-customers.csv"
"$churnguard" import accounts "$workspace/cdnow-customers.csv" --mapping "$here/cdnow-accounts.toml" -w "$workspace"
"$churnguard" import contacts "$workspace/cdnow-customers.csv" --mapping "$here/cdnow-contacts.toml" -w "$workspace"
"$churnguard" import events "$data/cdnow/CDNOW_sample.txt" --mapping "$here/cdnow-events.toml" -w "$workspace"
"$churnguard" import accounts "$data/telco/Telco-Customer-Churn.dev.csv" --mapping "$here/telco-accounts.toml" -w "$workspace"
"$churnguard" import stripe "$data"/stripe/zulip/*.json "$data"/stripe/pay-rails/*.json \
    --account-map "$here/stripe-account-map.csv" -w "$workspace"

"$churnguard" scan --as-of 1998-04-01 -w "$workspace" | tail -n 5
"$churnguard" run --once --as-of 1998-04-01T15:00:00Z -w "$workspace"
"$churnguard" audit verify -w "$workspace"

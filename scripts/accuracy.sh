#!/usr/bin/env bash
# Measure how well the churn score ranks on public data nothing was tuned on
# (CDNOW: 39 weeks of orders loaded, the next 39 kept aside) and write
# docs/ACCURACY.md. Creates its own database (acc_cdnow_...), installs the
# suite without demo data, runs the suite as of 1997-09-30 and drops the
# database at the end unless --keep. About 3 minutes on 2 cores; the first
# run downloads the lifetimes wheel (the data) into ~/.cache/crm_suite.
#   bash scripts/accuracy.sh [--horizon 90] [--keep] [--db acc_NAME]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
require_odoo
ensure_postgres
exec "$PYTHON" tests/benchmarks/accuracy_cdnow.py --addons-path "$(odoo_addons_path)" "$@"

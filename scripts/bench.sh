#!/usr/bin/env bash
# Run every benchmark of the suite and write docs/BENCHMARKS.md (and
# docs/benchmarks.json): the nightly run at each size, order confirmation
# against sale_loyalty alone, and the points ledger. Takes about 10 minutes
# with the default sizes (10k and 100k customers, 1M lots) on 2 cores, about
# an hour with --sizes 10000,100000,1000000 (52 minutes for the last
# report); the small versions of these checks run in scripts/test.sh.
#   bash scripts/bench.sh [--sizes 10000,100000,1000000] [--ledger-lots N] [--keep]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
require_odoo
ensure_postgres
exec "$PYTHON" tests/benchmarks/run_all.py --addons-path "$(odoo_addons_path)" "$@"

#!/usr/bin/env bash
# Run every benchmark of the suite and write docs/BENCHMARKS.md (and
# docs/benchmarks.json): the nightly run at each size, order confirmation
# against sale_loyalty alone, and the points ledger; then the Point of Sale
# benchmarks (scripts/bench_pos.sh: the till's calls against stock
# pos_loyalty, the nightly run with customers buying at the till) into
# docs/BENCHMARKS_POS.md, unless --no-pos. Takes about 25 minutes with the
# default sizes (10k and 100k customers, 1M lots) on 2 cores, about 80
# minutes with --sizes 10000,100000,1000000; the small versions of these
# checks run in scripts/test.sh.
#   bash scripts/bench.sh [--sizes 10000,100000,1000000] [--ledger-lots N] [--keep] [--no-pos]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
require_odoo
ensure_postgres
args=()
pos=1
for arg in "$@"; do
    if [ "$arg" = "--no-pos" ]; then
        pos=
    else
        args+=("$arg")
    fi
done
"$PYTHON" tests/benchmarks/run_all.py --addons-path "$(odoo_addons_path)" "${args[@]}"
if [ -n "$pos" ]; then
    "$PYTHON" tests/benchmarks/run_pos.py --addons-path "$(odoo_addons_path)" \
        --json docs/benchmarks_pos.json
fi

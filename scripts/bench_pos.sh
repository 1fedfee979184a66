#!/usr/bin/env bash
# Run the Point of Sale benchmarks and write docs/BENCHMARKS_POS.md (a file
# of its own: run_all.py writes docs/BENCHMARKS.md): the till's calls for a
# paid member order (sync_from_ui + confirm_coupon_programs) with the suite
# against stock pos_loyalty, and the nightly run with and without customers
# buying at the till. About 15 minutes with the default sizes (10k and 100k
# customers) on 2 cores; --base copies an existing database with
# sale_management and point_of_sale (demo data) instead of installing them.
#   bash scripts/bench_pos.sh [--sizes 10000,100000] [--orders 200] [--base DB] [--keep]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
require_odoo
ensure_postgres
log "Machine: $(nproc) cores, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)"
exec "$PYTHON" tests/benchmarks/run_pos.py --addons-path "$(odoo_addons_path)" "$@"

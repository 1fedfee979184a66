#!/usr/bin/env bash
# Start a demo: a local PostgreSQL if none is reachable, a fresh database with
# the suite and its demo data, and Odoo serving on port 8069.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

DB="${DEMO_DB:-crm_suite_demo}"
PORT="${DEMO_PORT:-8069}"
ADDONS="${ADDONS:-crm_lifecycle,crm_loyalty,crm_churn}"

require_odoo
"$PYTHON" -c 'import numpy, scipy, xlsxwriter' 2>/dev/null || {
    log "Installing the Python requirements"
    "$PYTHON" -m pip install -q -r requirements.txt
}
ensure_postgres
ADDONS_PATH="$(odoo_addons_path)"
DB_ARGS=($(odoo_db_args))

log "Creating a fresh database $DB with $ADDONS and demo data (about 2 minutes)"
dropdb --if-exists "$DB" >/dev/null 2>&1 || true
"$PYTHON" -m odoo --addons-path="$ADDONS_PATH" "${DB_ARGS[@]}" -d "$DB" \
    -i "$ADDONS" --stop-after-init --log-level=warn

cat <<MSG

  Odoo is starting on http://localhost:$PORT
  Database: $DB    Login: admin    Password: admin
  Try: Sales > Lifecycle, or open a customer and its Lifecycle tab.
  Stop with Ctrl+C.

MSG
exec "$PYTHON" -m odoo --addons-path="$ADDONS_PATH" "${DB_ARGS[@]}" -d "$DB" \
    --db-filter="^$DB\$" --http-port="$PORT" --log-level=warn

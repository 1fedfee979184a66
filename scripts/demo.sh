#!/usr/bin/env bash
# Start a demo: a local PostgreSQL if none is reachable, a fresh database with
# the suite and its demo data, and Odoo serving on port 8069.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

DB="${DEMO_DB:-crm_suite_demo}"
PORT="${DEMO_PORT:-8069}"
ADDONS="${ADDONS:-crm_lifecycle,crm_loyalty,crm_churn,crm_journey}"

require_odoo
"$PYTHON" -c 'import numpy, scipy, xlsxwriter' 2>/dev/null || {
    log "Installing the Python requirements"
    "$PYTHON" -m pip install -q -r requirements.txt
}
ensure_postgres
ADDONS_PATH="$(odoo_addons_path)"
DB_ARGS=($(odoo_db_args))

db_exists() { psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'" 2>/dev/null | grep -q 1; }

# An existing demo database is never dropped without asking: it may hold
# what someone tried in the last hour. Reuse it, take a new name, or (only
# when asked, or with DEMO_FRESH=1) drop it.
CREATE=1
if db_exists "$DB"; then
    CHOICE="${DEMO_FRESH:+drop}"
    if [ -z "$CHOICE" ] && [ -t 0 ]; then
        printf 'Database %s already exists. [r]euse it, create a [n]ew one, or [d]rop and recreate it? [r] ' "$DB" >&2
        read -r answer
        case "$answer" in
            n | N) CHOICE=new ;;
            d | D) CHOICE=drop ;;
            *) CHOICE=reuse ;;
        esac
    fi
    case "${CHOICE:-reuse}" in
        reuse)
            log "Reusing the existing database $DB (DEMO_FRESH=1 make demo starts from scratch)"
            CREATE=0
            ;;
        new)
            n=2
            while db_exists "${DB}_$n"; do n=$((n + 1)); done
            DB="${DB}_$n"
            ;;
        drop)
            log "Dropping the database $DB"
            dropdb --if-exists "$DB" >/dev/null 2>&1 || true
            ;;
    esac
fi

if [ "$CREATE" = 1 ]; then
    log "Creating the database $DB with $ADDONS and demo data (about 4 minutes on 2 cores)"
    START=$(date +%s)
    "$PYTHON" -m odoo --addons-path="$ADDONS_PATH" "${DB_ARGS[@]}" -d "$DB" \
        -i "$ADDONS" --stop-after-init --log-level=warn
    log "Database $DB ready in $(( $(date +%s) - START )) s"
fi

cat <<MSG

  Odoo is starting on http://localhost:$PORT
  Database: $DB    Login: admin    Password: admin
  Try: Sales > Lifecycle, or open a customer and its Lifecycle tab.
  Stop with Ctrl+C.

MSG
exec "$PYTHON" -m odoo --addons-path="$ADDONS_PATH" "${DB_ARGS[@]}" -d "$DB" \
    --db-filter="^$DB\$" --http-port="$PORT" --log-level=warn

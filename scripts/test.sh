#!/usr/bin/env bash
# Run every check and test of the suite against the importable Odoo 18:
# ruff, pylint-odoo mandatory checks, the addons' Odoo tests (fresh database,
# with demo data), install without demo data and uninstall, and the
# repository-level pytest suite (pure tools, end-to-end over RPC).
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ADDONS="${ADDONS:-crm_lifecycle,crm_loyalty,crm_churn,crm_journey}"
GLUE_ADDONS="${GLUE_ADDONS:-crm_lifecycle_pos,crm_loyalty_pos,crm_loyalty_website_sale,crm_lifecycle_automation,crm_lifecycle_mass_mailing,crm_lifecycle_survey,crm_churn_survey,crm_lifecycle_dashboard,crm_churn_helpdesk}"
OUT="$ROOT/.ci/out"
rm -rf "$OUT" && mkdir -p "$OUT"
PASSED=0
FAILED=0
FAILURES=()

record() { # record <name> <passed> <failed>
    PASSED=$((PASSED + $2))
    FAILED=$((FAILED + $3))
    if [ "$3" -gt 0 ]; then FAILURES+=("$1: $3 failed"); fi
    log "$1: $2 passed, $3 failed"
}

check() { # check <name> <command...>: a single pass/fail check
    local name="$1"; shift
    if "$@" >"$OUT/$name.log" 2>&1; then record "$name" 1 0; else
        tail -n 40 "$OUT/$name.log" >&2; record "$name" 0 1; fi
}

require_odoo

if [ "${SKIP_SETUP:-0}" != 1 ]; then
    log "Python requirements"
    "$PYTHON" -m pip install -q -r requirements.txt -r requirements-dev.txt \
        >"$OUT/pip.log" 2>&1 || { tail -n 20 "$OUT/pip.log"; die "pip install failed"; }
    if ! command -v chromium >/dev/null && ! command -v google-chrome >/dev/null &&
        ! command -v chromium-browser >/dev/null; then
        log "Installing Chromium for the tours"
        apt_install chromium || die "Chromium is needed for the tours and could not be installed"
    fi
fi
"$PYTHON" -c 'import websocket' 2>/dev/null ||
    die "websocket-client is missing: Odoo would silently skip every tour"
ensure_postgres

log "Lint"
check ruff-check "$PYTHON" -m ruff check --no-fix addons tests
check ruff-format "$PYTHON" -m ruff format --check addons tests
check pylint-odoo "$PYTHON" -m pylint --rcfile=.pylintrc-mandatory addons/*/

ADDONS_PATH="$(odoo_addons_path)"
DB_ARGS=($(odoo_db_args))
STAMP="$(date +%s)"
DB="crm_suite_test_$STAMP"
DB_NODEMO="crm_suite_nodemo_$STAMP"
DB_GLUE="crm_suite_glue_$STAMP"
ODOO=("$PYTHON" -m odoo --addons-path="$ADDONS_PATH" "${DB_ARGS[@]}" --stop-after-init)

odoo_tests() { # odoo_tests <name> <db> <modules>: install with tests, record
    local name="$1" db="$2" modules="$3" tags
    tags="$(echo "$modules" | sed 's/\([a-z_]*\)/\/\1/g')"
    "${ODOO[@]}" -d "$db" -i "$modules" --test-enable --test-tags "$tags" \
        --http-port="$(free_port)" --log-level=test >"$OUT/$name.log" 2>&1
    local rc=$? total failed
    read -r total failed < <("$PYTHON" - "$OUT/$name.log" <<'PY'
import re, sys
log = open(sys.argv[1], encoding="utf-8", errors="replace").read()
total = failed = 0
for f, e, n in re.findall(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests", log):
    total += int(n); failed += int(f) + int(e)
# A skipped test is a failure here (e.g. tours without websocket-client).
skipped = len(re.findall(r"skipped|: SKIP", log))
failed += skipped
if not total:
    failed += 1  # no result line: the run crashed
print(total, failed)
PY
)
    grep -E "(ERROR|CRITICAL).*(FAIL|ERROR:|Traceback)|skipped" "$OUT/$name.log" | head -n 30 >&2
    if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
    record "$name" $((total > failed ? total - failed : 0)) "$failed"
}
log "Odoo tests: installing $ADDONS with demo data in $DB"
"${ODOO[@]}" -d "$DB" -i sale_management --log-level=warn >"$OUT/odoo-base.log" 2>&1 ||
    { tail -n 40 "$OUT/odoo-base.log"; die "could not create the test database"; }
odoo_tests odoo-tests "$DB" "$ADDONS"

# Glue addons (Point of Sale...) in a database of their own: their Odoo apps
# (stock, point_of_sale) would change what the core addons' tests measure.
log "Odoo tests of the glue addons: $GLUE_ADDONS in $DB_GLUE"
"${ODOO[@]}" -d "$DB_GLUE" -i sale_management --log-level=warn >"$OUT/odoo-glue-base.log" 2>&1 ||
    { tail -n 40 "$OUT/odoo-glue-base.log"; die "could not create the glue test database"; }
odoo_tests odoo-glue-tests "$DB_GLUE" "$GLUE_ADDONS"

log "Install without demo data"
check install-without-demo "${ODOO[@]}" -d "$DB_NODEMO" -i "$ADDONS" --without-demo=all --log-level=warn

log "Repository tests (pytest)"
export CRM_SUITE_DB="$DB" CRM_SUITE_DB_NODEMO="$DB_NODEMO" CRM_SUITE_DB_GLUE="$DB_GLUE"
export CRM_SUITE_ADDONS_PATH="$ADDONS_PATH"
export CRM_SUITE_DB_ARGS="${DB_ARGS[*]}"
# The fault tests restart the database server in the middle of a batch. When
# this script runs as root next to a local Debian cluster (the CI machine) it
# lets them restart that cluster for real (immediate mode, crash recovery);
# otherwise they terminate the worker's own server connection instead.
if [ "$(id -u)" = 0 ] && [ ${#DB_ARGS[@]} = 0 ] && command -v pg_lsclusters >/dev/null; then
    PG_CLUSTER="$(pg_lsclusters -h 2>/dev/null | awk '$4 == "online" {print $1, $2; exit}')"
    if [ -n "$PG_CLUSTER" ]; then export CRM_SUITE_PG_CLUSTER="$PG_CLUSTER"; fi
fi
"$PYTHON" -m pytest tests -q -p no:cacheprovider --junitxml="$OUT/pytest.xml" >"$OUT/pytest.log" 2>&1
tail -n 30 "$OUT/pytest.log" >&2
read -r PY_PASSED PY_FAILED < <("$PYTHON" - "$OUT/pytest.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 1); raise SystemExit
suites = [root] if root.tag == "testsuite" else list(root)
tests = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get(k, 0)) for s in suites for k in ("failures", "errors", "skipped"))
print(tests - bad, bad if tests else bad + 1)
PY
)
record pytest "$PY_PASSED" "$PY_FAILED"
if [ -f "$OUT/fuzz.txt" ]; then log "$(cat "$OUT/fuzz.txt")"; fi

if [ "${KEEP_DB:-0}" != 1 ]; then
    dropdb --if-exists "$DB" 2>/dev/null
    dropdb --if-exists "$DB_NODEMO" 2>/dev/null
    dropdb --if-exists "$DB_GLUE" 2>/dev/null
fi
for failure in "${FAILURES[@]}"; do echo "FAILED: $failure" >&2; done
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]

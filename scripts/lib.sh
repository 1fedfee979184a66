# Shared helpers for scripts/demo.sh and scripts/test.sh (sourced, not run).
# They use the python3 on PATH: activate the environment that has Odoo 18 first.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

apt_install() {
    # Debian/Ubuntu packages, only when missing and only where apt exists.
    command -v apt-get >/dev/null || return 1
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

require_odoo() {
    if ! "$PYTHON" - <<'PY' 2>/dev/null
import odoo.release
assert odoo.release.version_info[0] == 18
PY
    then
        cat >&2 <<'MSG'
ERROR: no Odoo 18 is importable by the python3 on PATH.

This project tests and runs against an existing Odoo 18.0 installation:
  * the official Docker image:  docker compose up   (see README.md), or
  * Odoo's own install guide:   https://www.odoo.com/documentation/18.0/administration/on_premise/source.html
    (clone odoo 18.0, `pip install -r requirements.txt`, then make `import odoo`
    work, e.g. `pip install -e <odoo checkout>`), then activate that environment
    and run this command again.
MSG
        exit 2
    fi
}

odoo_addons_path() {
    # Core addons of the importable Odoo (packaged: odoo/addons; source: ../addons too).
    "$PYTHON" - "$ROOT/addons" <<'PY'
import os, sys
import odoo
base = os.path.dirname(os.path.abspath(odoo.__file__))
paths = [sys.argv[1]]
for candidate in (os.path.join(base, "addons"), os.path.join(os.path.dirname(base), "addons")):
    if os.path.isdir(os.path.join(candidate, "web")) and candidate not in paths:
        paths.append(candidate)
print(",".join(paths))
PY
}

ensure_postgres() {
    # Reuse a reachable server; otherwise start (and if needed install) a local one.
    if pg_isready -q 2>/dev/null && psql -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
        return 0
    fi
    if ! command -v pg_ctlcluster >/dev/null && ! command -v initdb >/dev/null &&
        ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        log "Installing PostgreSQL (Debian package)"
        apt_install postgresql || die "PostgreSQL is not installed and could not be installed"
    fi
    if [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null; then
        local cluster
        cluster="$(pg_lsclusters -h 2>/dev/null | head -n1)"
        if [ -z "$cluster" ]; then
            local version
            version="$(ls /usr/lib/postgresql | sort -n | tail -n1)"
            pg_createcluster "$version" main >/dev/null
            cluster="$(pg_lsclusters -h | head -n1)"
        fi
        set -- $cluster
        log "Starting PostgreSQL $1/$2"
        pg_ctlcluster "$1" "$2" start 2>/dev/null || true
        for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
        su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$(id -un)'\"" | grep -q 1 ||
            su postgres -c "createuser --superuser $(id -un)"
    else
        # Not root: a private cluster under the user's cache directory.
        local bindir data
        bindir="$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | sort | tail -n1)")"
        data="${XDG_CACHE_HOME:-$HOME/.cache}/crm-suite-postgres"
        export PGHOST="$data" PGPORT=5439
        if [ ! -f "$data/PG_VERSION" ]; then
            "$bindir/initdb" -D "$data" -U "$(id -un)" --auth=trust >/dev/null
        fi
        log "Starting a private PostgreSQL in $data"
        "$bindir/pg_ctl" -D "$data" -l "$data/server.log" \
            -o "-k $data -p $PGPORT -c listen_addresses=''" start >/dev/null || true
        for _ in $(seq 1 30); do pg_isready -q -h "$data" -p "$PGPORT" && break; sleep 1; done
    fi
    psql -d postgres -tAc 'SELECT 1' >/dev/null 2>&1 || die "PostgreSQL did not start"
}

odoo_db_args() {
    # Odoo connects like psql does (PGHOST/PGPORT or the default socket).
    local args=()
    [ -n "${PGHOST:-}" ] && args+=("--db_host=$PGHOST")
    [ -n "${PGPORT:-}" ] && args+=("--db_port=$PGPORT")
    echo "${args[@]}"
}

free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

"""What the benchmark scripts share: an Odoo environment on a database,
memory and query counters, and one JSON line of figures per script so that
``run_all.py`` can collect them."""

import contextlib
import functools
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import generator

FIGURES_PREFIX = "FIGURES "


def rss_mib():
    """Peak resident memory of this process so far.

    Read from the kernel's high-water mark of this process's own memory
    (``VmHWM``): ``getrusage``'s ``ru_maxrss`` survives ``execve`` on Linux,
    so a benchmark started by ``run_all.py`` right after the generator
    reported the generator's peak as its own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def odoo_env(db, addons_path):
    """A superuser environment on ``db``; the caller commits."""
    # Imported here: run_all.py uses this module without Odoo.
    import odoo
    from odoo import SUPERUSER_ID, api
    from odoo.tools import config

    config.parse_config(["--addons-path", addons_path, "-d", db])
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})


def settle(db):
    """VACUUM (ANALYZE) the tables a night writes; returns the seconds taken.

    In production nights are a day apart, and autovacuum has cleaned up
    after one long before the next. Here they follow each other within
    minutes, and each is followed by its floor statements, which rewrite
    every profile and churn score once more and roll back: left to
    autovacuum, that cleanup ran during the next measured night, on the same
    two cores, and made it measurably slower than the same night run on the
    next day, vacuumed first. Done before every measured night, so that each
    starts as it would a day later.
    """
    started = time.perf_counter()
    conn = psycopg2.connect(dbname=db)
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT relname FROM pg_class"
                " WHERE relkind = 'r'"
                "   AND relnamespace = 'public'::regnamespace"
                "   AND (relname LIKE 'crm\\_%'"
                "        OR relname IN ('res_partner', 'loyalty_card'))"
                " ORDER BY relname"
            )
            tables = [table for (table,) in cr.fetchall()]
        conn.rollback()  # VACUUM runs outside a transaction
        generator.settle(conn, tables)
    finally:
        conn.close()
    return time.perf_counter() - started


class Meter:
    """Wall time, SQL queries and memory growth of one step."""

    def __init__(self, cr):
        self.cr = cr

    def __enter__(self):
        self.queries = self.cr.sql_log_count
        self.memory = rss_mib()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        self.queries = self.cr.sql_log_count - self.queries
        self.memory_growth = rss_mib() - self.memory
        return False


# The methods a lifecycle or churn batch goes through, by model: what
# ``phase_times`` times.
PHASES = {
    "lifecycle": {
        "crm.lifecycle.profile": (
            "_refresh_partners",
            "_fetch_facts",
            "_write_rows",
            "_company_settings",
            "_partner_mirror_query",
            "_delete_rows",
            "_population_cuts",
            "_stored_cuts",
        ),
        "crm.lifecycle.stage.history": ("_record_moves",),
        "crm.rfm.segment.history": ("_record_moves",),
    },
    "churn": {
        "crm.churn.risk": (
            "_score_partners",
            "_gather",
            "_add_tier_facts",
            "_write_rows",
        ),
    },
}


@contextlib.contextmanager
def phase_times(env, step):
    """Time every call of ``PHASES[step]``'s methods while the block runs;
    yields ``{"model.method": seconds}``, filled as they return. A clock
    read per call: no profiler's overhead, so whole nights can be timed."""
    spent = {}
    patched = []

    def timed(label, method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

        return wrapper

    for model, methods in PHASES[step].items():
        cls = type(env[model])
        for name in methods:
            patched.append((cls, name, cls.__dict__.get(name)))
            setattr(cls, name, timed(f"{model}.{name}", getattr(cls, name)))
    try:
        yield spent
    finally:
        for cls, name, own in reversed(patched):
            if own is None:
                delattr(cls, name)
            else:
                setattr(cls, name, own)


def emit(figures):
    """Print the figures as one JSON line after the human-readable output."""
    print(FIGURES_PREFIX + json.dumps(figures, default=str), flush=True)


def parse(output):
    for line in output.splitlines():
        if line.startswith(FIGURES_PREFIX):
            return json.loads(line[len(FIGURES_PREFIX) :])
    raise ValueError("no figures in the output")


def measure_in_process(script, addons_path, db):
    """Run ``script --measure db`` in a process of its own (Odoo parses its
    configuration once a process) and return the figures it emits; its
    error output is shown when it fails."""
    done = subprocess.run(
        [sys.executable, script, "--addons-path", addons_path, "--measure", db],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.stderr.write(done.stderr[-5000:])
        raise SystemExit(f"measure of {db} failed")
    return parse(done.stdout)


def code_commit():
    """The measured code: the repository's short commit, marked when tracked
    files differ from it, so that a report never names a commit it did not
    measure."""

    def git(*args):
        return subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parents[2],
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{head} + uncommitted changes" if dirty else head


def machine():
    """The machine the figures were taken on."""
    cpu = platform.processor() or platform.machine()
    with (
        contextlib.suppress(OSError),
        open("/proc/cpuinfo", encoding="utf-8") as info,
    ):
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = 0
    with (
        contextlib.suppress(OSError, ValueError, IndexError),
        open("/proc/meminfo", encoding="utf-8") as info,
    ):
        memory = int(info.readline().split()[1]) / 1024 / 1024
    postgres = subprocess.run(
        ["psql", "-d", "postgres", "-tAc", "SHOW server_version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory),
        "postgres": postgres,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }

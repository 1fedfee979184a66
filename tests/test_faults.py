"""Fault tolerance of the nightly runs against a real database.

A churn run killed with SIGKILL in the middle of a batch (scores upserted,
nothing committed), or whose database server restarts at that moment, and
resumed by the next cron call ends with exactly the scores and alerts of an
uninterrupted run. An expiry batch interrupted by a restart after it debited
the cards leaves every card equal to its entries and lots. Two workers
sharing a run's batches, one of them killed, end as a single worker does.
"""

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import uuid
import xmlrpc.client
from pathlib import Path

import generator
import psycopg2
import pytest

WORKER = Path(__file__).with_name("fault_worker.py")


def _command(mode, **options):
    db = os.environ.get("CRM_SUITE_DB")
    addons_path = os.environ.get("CRM_SUITE_ADDONS_PATH")
    if not (db and addons_path):
        pytest.skip("needs the databases prepared by scripts/test.sh")
    cmd = [sys.executable, str(WORKER), mode, "--db", db, "--addons-path", addons_path]
    for key, value in options.items():
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    return cmd + shlex.split(os.environ.get("CRM_SUITE_DB_ARGS", ""))


def _worker(mode, **options):
    return subprocess.run(
        _command(mode, **options),
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _json(proc):
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_killed_run_resumes_to_the_same_result():
    baseline = _json(_worker("baseline", batch_size=40))
    assert baseline["batches"] >= 4, "the demo data must span several batches"
    assert baseline["alerts"] or baseline["risks"]

    crashed = _worker("crash", batch_size=40, crash_at=3)
    assert crashed.returncode == -signal.SIGKILL, (crashed.returncode, crashed.stderr)

    resumed = _json(_worker("resume", batch_size=40))
    assert resumed["customers_done"] == baseline["customers_done"]
    # Two batches were committed before the crash: the resumed run continued
    # after them instead of starting again (that would count 2 more batches).
    assert resumed["batches"] == baseline["batches"]
    assert resumed["risks"] == baseline["risks"]
    assert resumed["alerts"] == baseline["alerts"]


def _wait_for_postgres(db, seconds=60):
    deadline = time.time() + seconds
    while True:
        try:
            psycopg2.connect(dbname=db).close()
            return
        except psycopg2.OperationalError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def _serve_again(server, attempts=20):
    """A running Odoo server serves again after the database restarted.

    Odoo's pool hands out each connection that died with the old server
    once more (``reset()`` raises a DatabaseError its pool does not catch),
    so the first requests may fail; the pool then drops them."""
    failures = 0
    for _attempt in range(attempts):
        try:
            server.login("admin", "admin")
            return failures
        except (xmlrpc.client.ProtocolError, xmlrpc.client.Fault, AssertionError):
            failures += 1
    raise AssertionError(f"the server still fails after {attempts} requests")


def _interrupted(proc):
    """The worker lost its database in the middle of a batch and said so."""
    assert proc.returncode not in (0, -signal.SIGKILL), (proc.returncode, proc.stderr)
    assert '"interrupted"' in proc.stdout, proc.stdout
    assert any(
        error in proc.stderr
        for error in ("OperationalError", "InterfaceError", "terminat")
    ), proc.stderr[-3000:]


def _query(db, sql, *params):
    conn = psycopg2.connect(dbname=db)
    try:
        with conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()
    finally:
        conn.close()


def test_database_restart_mid_batch_resumes_to_the_same_result(demo_server):
    db = os.environ.get("CRM_SUITE_DB")
    baseline = _json(_worker("baseline", batch_size=40))

    interrupted = _worker("restart", batch_size=40, crash_at=3)
    _wait_for_postgres(db)
    _interrupted(interrupted)
    _serve_again(demo_server)
    # What the two committed batches wrote is there; the third left nothing.
    [(done, batches)] = _query(
        db,
        "SELECT SUM(b.customers), SUM(b.parts) FROM crm_lifecycle_batch b"
        "  JOIN crm_churn_run r ON r.id = b.run_id"
        " WHERE b.res_model = 'crm.churn.run' AND b.state = 'done'"
        "   AND r.state = 'running'",
    )
    assert (done, batches) == (80, 2)

    resumed = _json(_worker("resume", batch_size=40))
    assert resumed["batches"] == baseline["batches"]
    assert resumed["customers_done"] == baseline["customers_done"]
    assert resumed["risks"] == baseline["risks"]
    assert resumed["alerts"] == baseline["alerts"]


def test_database_restart_during_expiry_leaves_the_ledger_balanced(demo_server):
    db = os.environ.get("CRM_SUITE_DB")
    if not db:
        pytest.skip("needs the databases prepared by scripts/test.sh")
    flt_prefix = f"FLT{uuid.uuid4().hex[:6]}"
    conn = psycopg2.connect(dbname=db)
    try:
        partners, _orders = generator.generate(conn, 120, seed=11, prefix=flt_prefix)
        generator.generate_loyalty(conn, partners, prefix=flt_prefix, backlog=True)
    finally:
        conn.close()
    lapsed_sql = (
        "SELECT COUNT(*) FROM crm_loyalty_lot"
        " WHERE expiry_date < current_date AND remaining > 0"
    )
    [(lapsed,)] = _query(db, lapsed_sql)
    assert lapsed > 150

    interrupted = _worker("expire-restart", batch_size=50, crash_at=2)
    _wait_for_postgres(db)
    _interrupted(interrupted)
    _serve_again(demo_server)
    # The first batch is committed; the second had debited its cards when
    # the server went away, and none of it remains.
    [(left,)] = _query(db, lapsed_sql)
    assert left == lapsed - 50
    [(unbalanced,)] = _query(
        db,
        """SELECT COUNT(*) FROM loyalty_card c
            WHERE c.code LIKE %s
              AND abs(COALESCE(c.points, 0) - COALESCE(
                      (SELECT SUM(points) FROM crm_loyalty_entry e
                        WHERE e.card_id = c.id), 0)) > 0.001""",
        f"{flt_prefix}-%",
    )
    assert unbalanced == 0

    resumed = _json(_worker("expire-resume", batch_size=50))
    assert resumed == {"differences": 0, "open_lapsed": 0}


def _spawn(mode, **options):
    """A worker process started now, for workers that run at the same time."""
    return subprocess.Popen(
        _command(mode, **options),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(proc, timeout=600):
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_two_workers_share_a_run_with_the_result_of_one():
    """Two cron workers (two processes, as two servers) take the batches of
    one run at once: each batch once, and the scores and alerts of a single
    worker's run."""
    baseline = _json(_worker("baseline", batch_size=40))
    planned = _json(_worker("start", batch_size=40))
    assert planned["batches"] >= 4, "the demo data must span several batches"
    workers = [_spawn("work", slow=0.5, crash_at=0) for _ in range(2)]
    done = [_json(_finished(worker)) for worker in workers]
    assert all(worker["batches"] for worker in done), "both workers took batches"
    assert sum(worker["batches"] for worker in done) == planned["batches"]
    result = _json(_worker("result"))
    assert result["todo"] == 0 and result["batches"] == planned["batches"]
    assert result["customers_done"] == baseline["customers_done"]
    assert result["risks"] == baseline["risks"]
    assert result["alerts"] == baseline["alerts"]


def test_a_crashed_workers_batch_is_taken_again():
    """A worker killed in the middle of a batch (its scores written, nothing
    committed) frees the batch: the other worker, or the next cron call,
    takes it again, and the run ends as a single worker's would."""
    baseline = _json(_worker("baseline", batch_size=40))
    planned = _json(_worker("start", batch_size=40))
    crashing = _spawn("work", slow=0.5, crash_at=2)
    steady = _spawn("work", slow=0.5, crash_at=0)
    crashed = _finished(crashing)
    assert crashed.returncode == -signal.SIGKILL, (crashed.returncode, crashed.stderr)
    _json(_finished(steady))
    # The next cron call, for whatever the crash left behind.
    _json(_worker("work", crash_at=0))
    result = _json(_worker("result"))
    assert result["todo"] == 0 and result["batches"] == planned["batches"]
    assert result["customers_done"] == baseline["customers_done"]
    assert result["risks"] == baseline["risks"]
    assert result["alerts"] == baseline["alerts"]

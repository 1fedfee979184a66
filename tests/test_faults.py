"""Fault tolerance of the nightly churn run against a real database.

A run killed with SIGKILL in the middle of a batch (scores upserted, nothing
committed) and resumed by the next cron call ends with exactly the scores and
alerts of an uninterrupted run.
"""

import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("fault_worker.py")


def _worker(mode, **options):
    db = os.environ.get("CRM_SUITE_DB")
    addons_path = os.environ.get("CRM_SUITE_ADDONS_PATH")
    if not (db and addons_path):
        pytest.skip("needs the databases prepared by scripts/test.sh")
    cmd = [sys.executable, str(WORKER), mode, "--db", db, "--addons-path", addons_path]
    for key, value in options.items():
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    cmd += shlex.split(os.environ.get("CRM_SUITE_DB_ARGS", ""))
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=600)


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

"""Shared fixtures for the repository-level pytest suite.

Odoo never discovers this folder, and importing ``odoo.addons.<addon>.tools``
would import the addon's ``__init__`` (and so Odoo itself). The pure tools are
therefore loaded as stand-alone packages straight from their folder, which also
proves that they carry no ``odoo`` import.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ROOT / "addons"


def load_tools(addon):
    """Import ``addons/<addon>/tools`` as the package ``<addon>_tools``."""
    name = f"{addon}_tools"
    if name in sys.modules:
        return sys.modules[name]
    folder = ADDONS / addon / "tools"
    spec = importlib.util.spec_from_file_location(
        name, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def lifecycle_tools():
    return load_tools("crm_lifecycle")


@pytest.fixture(scope="session")
def churn_tools():
    return load_tools("crm_churn")


# ---------------------------------------------------------------------------
# End-to-end tests against a running Odoo (databases prepared by
# scripts/test.sh, which exports CRM_SUITE_* variables).
# ---------------------------------------------------------------------------

import os
import shlex
import socket
import subprocess
import tempfile
import time
import xmlrpc.client


class OdooServer:
    def __init__(self, db, port):
        self.db = db
        self.url = f"http://127.0.0.1:{port}"

    def login(self, login, password):
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
        uid = common.authenticate(self.db, login, password, {})
        assert uid, f"cannot log in as {login}"
        models = xmlrpc.client.ServerProxy(
            f"{self.url}/xmlrpc/2/object", allow_none=True
        )

        def call(model, method, *args, **kwargs):
            return models.execute_kw(
                self.db, uid, password, model, method, list(args), kwargs
            )

        def ref(xmlid):
            """The database id of an external id (``module.name``)."""
            module, name = xmlid.split(".")
            [row] = call(
                "ir.model.data",
                "search_read",
                [("module", "=", module), ("name", "=", name)],
                ["res_id"],
            )
            return row["res_id"]

        call.uid = uid
        call.ref = ref
        return call


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(db):
    addons_path = os.environ.get("CRM_SUITE_ADDONS_PATH")
    if not (db and addons_path):
        pytest.skip("needs the databases prepared by scripts/test.sh")
    port = _free_port()
    cmd = [
        "python3",
        "-m",
        "odoo",
        "-d",
        db,
        f"--addons-path={addons_path}",
        f"--http-port={port}",
        "--http-interface=127.0.0.1",
        f"--db-filter=^{db}$",
        "--max-cron-threads=0",
        "--log-level=warn",
        *shlex.split(os.environ.get("CRM_SUITE_DB_ARGS", "")),
    ]
    # The log goes to a file: a pipe nobody reads fills up (every refused RPC
    # logs a traceback) and then blocks the server on its next log line.
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the server
        prefix=f"odoo-{db}-", suffix=".log", delete=False
    )
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(Path(log.name).read_text()[-2000:]) from None
            time.sleep(0.5)
    return proc, OdooServer(db, port)


def _stop(proc):
    """Stop the server; one still busy after 30 s (a request in a retry
    back-off) is killed, so that its teardown cannot fail the last test."""
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(30)


@pytest.fixture(scope="session")
def demo_server():
    proc, server = _start_server(os.environ.get("CRM_SUITE_DB"))
    yield server
    _stop(proc)


@pytest.fixture(scope="session")
def nodemo_server():
    proc, server = _start_server(os.environ.get("CRM_SUITE_DB_NODEMO"))
    yield server
    _stop(proc)


@pytest.fixture(scope="session")
def glue_server():
    """The database of the glue addons (Point of Sale...), with demo data."""
    proc, server = _start_server(os.environ.get("CRM_SUITE_DB_GLUE"))
    yield server
    _stop(proc)


@pytest.fixture(scope="session")
def loyalty_tools():
    return load_tools("crm_loyalty")

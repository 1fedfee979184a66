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

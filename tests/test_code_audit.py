"""Static checks of the addons' code (no Odoo needed).

* Every ``sudo()`` outside the tests is listed in docs/SECURITY.md, keyed by
  file and enclosing function, with why it is needed and the test proving that
  a caller without rights cannot reach its effect; a new ``sudo()`` without a
  row fails here, and so does a row whose ``sudo()`` is gone.
* No SQL is built by string formatting: the query given to ``cr.execute``,
  ``env.execute_query`` or ``execute_values`` is an ``odoo.tools.SQL`` object
  (or a constant string), and the first argument of ``SQL()`` is a constant
  string whose placeholders receive the values.
* The suite's stored fields on the models every sale and till call fetches
  (``res.company``, ``res.partner``) sit in a prefetch group of their own,
  except the switches an order reads (``DEFAULT_PREFETCH_ALLOWED``).
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ROOT / "addons"
SECURITY_DOC = ROOT / "docs" / "SECURITY.md"

# Methods that send their first argument to PostgreSQL as a query
# (psycopg2.extras.execute_values takes the cursor first, the query second).
EXECUTE_METHODS = {
    "execute": 0,
    "executemany": 0,
    "execute_query": 0,
    "execute_query_dict": 0,
    "execute_values": 1,
}
# SQL(x) with a non-literal x, each checked by hand: x must be a fixed SQL
# keyword or type taken from a constant of the module, never user input.
# Keyed like the sudo() table: (file, function) -> why it is safe.
DYNAMIC_SQL_ALLOWED = {
    ("addons/crm_lifecycle/bulk_sql.py", "upsert"): (
        "col_type is a PostgreSQL type name from the callers' class attributes "
        "(_snapshot_columns of the profile and the risk)"
    ),
    ("addons/crm_lifecycle/bulk_sql.py", "_statement"): (
        "col_type as in upsert, which passes it on"
    ),
    (
        "addons/crm_lifecycle/models/crm_lifecycle_snapshot_mixin.py",
        "_partner_mirror_query",
    ): (
        "col_type is a PostgreSQL type name from the class attribute "
        "_snapshot_mirror of the profile and the risk"
    ),
}
DOC_ROW = re.compile(r"^\|\s*`(addons/[^`]+\.py)`\s*\|\s*`(\w+)`\s*\|", re.MULTILINE)


def _addon_sources():
    for path in sorted(ADDONS.glob("*/**/*.py")):
        relative = path.relative_to(ROOT)
        if "tests" in relative.parts:
            continue
        yield relative.as_posix(), ast.parse(path.read_text(), filename=str(path))


def _functions(tree):
    """Every def of the file, outer functions before the ones they contain."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _calls_by_function(tree):
    """{call node: name of the innermost enclosing function or '<module>'}."""
    owner = {}
    for function in _functions(tree):
        for node in ast.walk(function):
            if isinstance(node, ast.Call):
                # ast.walk visits outer functions first: inner ones overwrite.
                owner[node] = function.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            owner.setdefault(node, "<module>")
    return owner


def _callee(call):
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def sudo_keys():
    keys = {}
    for path, tree in _addon_sources():
        for call, function in _calls_by_function(tree).items():
            if isinstance(call.func, ast.Attribute) and call.func.attr == "sudo":
                keys.setdefault((path, function), []).append(call.lineno)
    return keys


def documented_sudo_keys():
    return set(DOC_ROW.findall(SECURITY_DOC.read_text()))


# ---------------------------------------------------------------------------
# sudo()
# ---------------------------------------------------------------------------


def test_the_scan_finds_sudo_calls():
    keys = sudo_keys()
    assert (
        "addons/crm_loyalty/models/crm_loyalty_entry.py",
        "_post",
    ) in keys, "the ledger service posts as superuser"
    assert all(function != "<module>" for _path, function in keys)


def test_every_sudo_is_documented():
    missing = sorted(set(sudo_keys()) - documented_sudo_keys())
    assert not missing, (
        "sudo() without a row in docs/SECURITY.md (file, function, why, effect, "
        f"test): {missing}"
    )


def test_every_documented_sudo_still_exists():
    stale = sorted(documented_sudo_keys() - set(sudo_keys()))
    assert not stale, f"docs/SECURITY.md lists sudo() calls that are gone: {stale}"


def _defined_tests():
    names = set()
    for path in [*ADDONS.glob("*/tests/*.py"), *(ROOT / "tests").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names.add(node.name)
    return names


def test_documented_sudo_rows_name_existing_tests():
    """Each row ends with the test(s) proving the guard, and they exist."""
    rows = [
        line for line in SECURITY_DOC.read_text().splitlines() if DOC_ROW.match(line)
    ]
    assert rows
    defined = _defined_tests()
    for row in rows:
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        assert len(cells) == 5, row
        assert all(cells), row
        named = re.findall(r"\btest_\w+", cells[4])
        assert named, f"no test named in: {row}"
        assert set(named) <= defined, f"unknown tests in: {row}"


# ---------------------------------------------------------------------------
# SQL built by string formatting
# ---------------------------------------------------------------------------


def _is_sql_call(node):
    return isinstance(node, ast.Call) and _callee(node) == "SQL"


def _formatting(node):
    """Why ``node`` is a string built by formatting, or None."""
    if isinstance(node, ast.JoinedStr):
        return "f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return "string built with % or +"
    if isinstance(node, ast.Call) and _callee(node) in ("format", "format_map"):
        return ".format() call"
    return None


def _assignments(function, name):
    """Values assigned to ``name`` inside ``function``."""
    values = []
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            if any(
                isinstance(target, ast.Name) and target.id == name
                for target in node.targets
            ):
                values.append(node.value)
        elif (
            isinstance(node, ast.AnnAssign | ast.AugAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
        ):
            values.append(node.value)
    return values


def _returns(tree, method):
    for function in _functions(tree):
        if function.name == method:
            return [
                node.value
                for node in ast.walk(function)
                if isinstance(node, ast.Return) and node.value is not None
            ]
    return []


def _query_problem(node, function, tree, depth=0):
    """None when ``node`` is provably a SQL object or a constant string."""
    if depth > 5:
        return "cannot follow the query"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return None
    if _is_sql_call(node):
        return None
    reason = _formatting(node)
    if reason:
        return reason
    if isinstance(node, ast.IfExp):
        return _query_problem(node.body, function, tree, depth + 1) or _query_problem(
            node.orelse, function, tree, depth + 1
        )
    if isinstance(node, ast.Name) and function is not None:
        values = _assignments(function, node.id)
        if not values:
            return f"{node.id} is not assigned a query in this function"
        for value in values:
            problem = _query_problem(value, function, tree, depth + 1)
            if problem:
                return f"{node.id}: {problem}"
        return None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in ("self", "cls")
    ):
        # A query built by another method of the same file: check what it returns.
        values = _returns(tree, node.func.attr)
        if not values:
            return f"{node.func.attr}() is not a method of this file"
        for value in values:
            owner = next(f for f in _functions(tree) if f.name == node.func.attr)
            problem = _query_problem(value, owner, tree, depth + 1)
            if problem:
                return f"{node.func.attr}(): {problem}"
        return None
    return f"unverifiable query expression {ast.unparse(node)!r}"


def _enclosing(tree):
    """{call: innermost function node}."""
    owner = {}
    for function in _functions(tree):
        for node in ast.walk(function):
            if isinstance(node, ast.Call):
                owner[node] = function
    return owner


def _tree_problems(path, tree):
    """(problems, allowed dynamic SQL keys) of one parsed file."""
    problems, dynamic = [], set()
    owner = _enclosing(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = _callee(node)
        function = owner.get(node)
        where = f"{path}:{node.lineno}"
        if callee in EXECUTE_METHODS:
            position = EXECUTE_METHODS[callee]
            if len(node.args) <= position:
                continue
            problem = _query_problem(node.args[position], function, tree)
            if problem:
                problems.append(f"{where} {callee}(): {problem}")
        elif callee == "SQL" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                continue
            key = (path, function.name if function else "<module>")
            if key in DYNAMIC_SQL_ALLOWED and not _formatting(first):
                dynamic.add(key)
                continue
            reason = _formatting(first) or "not a constant string"
            problems.append(f"{where} SQL(): first argument is {reason}")
    return problems, dynamic


def sql_problems():
    problems, dynamic = [], set()
    for path, tree in _addon_sources():
        found, allowed = _tree_problems(path, tree)
        problems += found
        dynamic |= allowed
    return problems, dynamic


def test_no_sql_built_by_string_formatting():
    problems, _dynamic = sql_problems()
    assert not problems, "\n".join(problems)


def test_dynamic_sql_allowances_are_still_needed():
    _problems, dynamic = sql_problems()
    assert dynamic == set(DYNAMIC_SQL_ALLOWED)


BAD_SNIPPETS = [
    'def f(self, x):\n    self.env.cr.execute(f"SELECT {x}")\n',
    'def f(self, x):\n    self.env.cr.execute("SELECT %s" % x)\n',
    'def f(self, x):\n    self.env.cr.execute("SELECT " + x)\n',
    'def f(self, x):\n    self.env.cr.execute("SELECT {}".format(x))\n',
    'def f(self, x):\n    q = "SELECT %s" % x\n    self.env.execute_query(q)\n',
    'def f(self, x):\n    self.env.execute_query(SQL(f"SELECT {x}"))\n',
    'def f(self, x):\n    self.env.execute_query(SQL("SELECT " + x))\n',
    'def f(self, x):\n    execute_values(self.env.cr, f"INSERT {x}", [])\n',
    "def f(self, q):\n    self.env.cr.execute(q)\n",
]
GOOD_SNIPPETS = [
    'def f(self, x):\n    self.env.cr.execute(SQL("SELECT %s", x))\n',
    'def f(self, x):\n    q = SQL("SELECT %s", x)\n    self.env.execute_query(q)\n',
    'def f(self, x):\n    self.env.cr.execute("SELECT 1")\n',
    (
        "def f(self, x):\n    q = SQL('a') if x else SQL('b')\n"
        "    self.env.execute_query(q)\n"
    ),
    (
        "def g(self):\n    return SQL('SELECT 1')\n"
        "def f(self):\n    self.env.execute_query(self.g())\n"
    ),
]


def _problems_in(source):
    return _tree_problems("snippet.py", ast.parse(source))[0]


@pytest.mark.parametrize("source", BAD_SNIPPETS)
def test_the_sql_check_catches_formatting(source):
    assert _problems_in(source)


@pytest.mark.parametrize("source", GOOD_SNIPPETS)
def test_the_sql_check_accepts_sql_objects(source):
    assert not _problems_in(source)


# ---------------------------------------------------------------------------
# Prefetch groups on the models every sale and till call fetches
# ---------------------------------------------------------------------------

# A sale's confirmation and the till's two calls fetch the company and the
# customer: a field in Odoo's default prefetch group is read, converted and
# cached by each of those fetches, whoever needs it. The suite's stored
# fields on these models sit in a prefetch group of their own (fetched when
# one of them is read), except the switches an order reads, listed here with
# who reads them (docs/BENCHMARKS_POS.md measures the till).
HOT_MODELS = {"res.company", "res.partner"}
DEFAULT_PREFETCH_ALLOWED = {
    ("res.company", "lifecycle_refresh_on_order"): (
        "read by every order confirmation and paid POS order (queue or refresh)"
    ),
    ("res.company", "lifecycle_count_invoices"): (
        "read with the switch above when an invoice is posted"
    ),
    ("res.company", "lifecycle_count_pos"): "read by every paid POS order's sync",
}
# Field types without a column of their own.
NO_COLUMN_TYPES = {"One2many", "Many2many"}


def _inherited_model(node):
    for stmt in node.body:
        if (
            isinstance(stmt, ast.Assign)
            and any(
                isinstance(target, ast.Name) and target.id == "_inherit"
                for target in stmt.targets
            )
            and isinstance(stmt.value, ast.Constant)
        ):
            return stmt.value.value
    return None


def default_prefetched_fields(sources):
    """``{(model, field): path}`` of the stored fields that the classes
    extending ``HOT_MODELS`` declare without a ``prefetch`` group."""
    found = {}
    for path, tree in sources:
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            model = _inherited_model(node)
            if model not in HOT_MODELS:
                continue
            for stmt in node.body:
                if not (
                    isinstance(stmt, ast.Assign)
                    and isinstance(stmt.targets[0], ast.Name)
                    and isinstance(stmt.value, ast.Call)
                    and isinstance(stmt.value.func, ast.Attribute)
                    and isinstance(stmt.value.func.value, ast.Name)
                    and stmt.value.func.value.id == "fields"
                ):
                    continue
                if stmt.value.func.attr in NO_COLUMN_TYPES:
                    continue
                kwargs = {keyword.arg: keyword.value for keyword in stmt.value.keywords}
                store = kwargs.get("store")
                stored = (
                    store.value
                    if isinstance(store, ast.Constant)
                    else not ("compute" in kwargs or "related" in kwargs)
                )
                if stored and "prefetch" not in kwargs:
                    found[(model, stmt.targets[0].id)] = path
    return found


def test_hot_models_fields_have_their_prefetch_group():
    found = default_prefetched_fields(_addon_sources())
    unexpected = dict(found)
    for key in DEFAULT_PREFETCH_ALLOWED:
        unexpected.pop(key, None)
    assert not unexpected, (
        "stored fields on a model every sale fetches, in Odoo's default "
        f"prefetch group: {unexpected}; give them prefetch='<addon>' or list "
        "them in DEFAULT_PREFETCH_ALLOWED with who reads them on every sale"
    )
    assert set(DEFAULT_PREFETCH_ALLOWED) <= set(found), (
        "listed but now in a prefetch group, or gone: "
        f"{set(DEFAULT_PREFETCH_ALLOWED) - set(found)}"
    )


def _extension(model, *lines):
    """The source of a class extending ``model`` with these field lines."""
    body = "".join(f"    {line}\n" for line in lines)
    return f'class P(models.Model):\n    _inherit = "{model}"\n{body}'


@pytest.mark.parametrize(
    "source, expected",
    [
        (
            _extension("res.partner", 'x_flag = fields.Boolean("Flag")'),
            {("res.partner", "x_flag")},
        ),
        (
            _extension(
                "res.partner",
                'x_flag = fields.Boolean("Flag", prefetch="crm_x")',
                'x_count = fields.Integer(compute="_c")',
                'x_ids = fields.One2many("x", "y")',
            ),
            set(),
        ),
        (
            _extension(
                "res.partner", 'x_open = fields.Boolean(compute="_c", store=True)'
            ),
            {("res.partner", "x_open")},
        ),
        (_extension("sale.order", 'x_flag = fields.Boolean("Flag")'), set()),
    ],
)
def test_the_prefetch_check_finds_default_group_fields(source, expected):
    found = default_prefetched_fields([("x.py", ast.parse(source))])
    assert set(found) == expected

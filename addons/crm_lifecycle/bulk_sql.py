"""Bulk SQL for the nightly steps: plain functions over a cursor and
``odoo.tools.SQL`` (server-side cursors, id and key filters, a COPY-based
UPSERT) that hold no business rule, so that every model writing hundreds of
thousands of rows a night shares one tested way of doing it.
"""

import functools
import io
import json

import psycopg2.extensions

from odoo.tools import SQL

# From this many rows on, ``upsert`` loads them with COPY: array literals
# are formatted by psycopg2 and parsed again by PostgreSQL, value by value,
# which for a nightly batch costs more than COPY's text format.
COPY_FROM_ROWS = 500


def stream(cr, query, size=20000):
    """Rows of ``query`` in lists of ``size``, through a server-side cursor
    closed at the end, so that the whole result never sits in memory at once.

    PostgreSQL never runs a cursor's query in parallel: for one big scan that
    benefits from parallel workers, fetch slices of an ordinary result
    instead (``cr.fetchmany``).
    """
    name = SQL.identifier(f"crm_lifecycle_stream_{id(query)}")
    cr.execute(SQL("DECLARE %s NO SCROLL CURSOR FOR %s", name, query))
    try:
        while True:
            cr.execute(SQL("FETCH FORWARD %s FROM %s", size, name))
            rows = cr.fetchall()
            if not rows:
                return
            yield rows
    finally:
        cr.execute(SQL("CLOSE %s", name))


def int_array(ids):
    """``ids`` as one ``int4[]`` constant, for ``= ANY(...)`` in a statement
    of a nightly batch.

    psycopg2 sends a Python list as ``ARRAY[1, 2, ...]``, which PostgreSQL
    parses as one expression per id and folds into a constant while
    planning, for each place a batch's ids appear in a statement (the
    lifecycle facts and the churn facts name them six times each). A single
    literal ``'{1,2,...}'::int4[]`` is parsed once; the plan is the same, a
    constant array either way. The ids are formatted as integers here, never
    passed on as text from elsewhere.
    """
    return SQL("%s::int4[]", "{" + ",".join(str(int(id_)) for id_ in ids) + "}")


def ids_filter(column, ids):
    """``column = ANY(ids)``, also bounded by the ids' range, for a statement
    that looks rows of one table up by id (``column``, SQL).

    A nightly batch's customers have neighbouring ids: bounded, PostgreSQL
    walks the primary key over that range instead of scanning the whole of
    ``res_partner`` for a list it takes for scattered ids. It multiplies
    both selectivities and so expects far fewer rows than it finds, which
    only favours that index walk here; never use it in a statement that
    joins on the result (see ``crm.lifecycle.profile._ids_array``).
    """
    ids = list(ids)
    return SQL(
        "%(column)s = ANY(%(ids)s) AND %(column)s BETWEEN %(low)s AND %(high)s",
        column=column,
        ids=int_array(ids),
        low=min(ids, default=0),
        high=max(ids, default=0),
    )


def pair_filter(alias, pairs):
    """``WHERE`` condition selecting the rows of ``alias`` that belong to the
    given ``(partner_id, company_id)`` pairs.

    A filter rather than a join with the list of pairs: on a first night the
    suite's history tables grow faster than autovacuum analyzes them, and
    with statistics saying a table is nearly empty PostgreSQL joined by
    scanning it once per customer, for minutes a batch at a million
    customers. Filtered by partner (indexed) and then by pair key, the worst plan is one
    scan.
    """
    pairs = list(pairs)
    table = SQL.identifier(alias)
    return SQL(
        "%(t)s.partner_id = ANY(%(partners)s)"
        " AND concat(%(t)s.partner_id, ':', %(t)s.company_id) = ANY(%(keys)s)",
        t=table,
        partners=int_array(partner_id for partner_id, _company_id in pairs),
        # One text[] literal, as int_array: the keys are made of integers.
        keys=SQL(
            "%s::text[]",
            "{"
            + ",".join(
                f"{int(partner_id)}:{int(company_id)}"
                for partner_id, company_id in pairs
            )
            + "}",
        ),
    )


def upsert(
    env,
    table,
    columns,
    rows,
    keys=("partner_id", "company_id"),
    also=None,
    unless_same=None,
):
    """Insert or update ``rows`` (dicts) of ``table`` by its unique ``keys``,
    stamping the writer and the time as the ORM does; no ORM, for the
    nightly runs' hundreds of thousands of rows. Returns the number of rows
    inserted or updated.

    ``columns`` are ``(name, SQL type)`` pairs after the keys (int4); jsonb
    values are Python objects. ``also``, a data-modifying statement, runs in
    the same statement (one round trip less on an order confirmation). With
    ``unless_same``, column names, an existing row whose values in those
    columns all equal the new ones is left as it is. A few rows travel as
    arrays in one statement; a batch is copied into a temporary table first
    (see ``COPY_FROM_ROWS``).
    """
    if not rows:
        return 0
    names = [*keys, *(name for name, _type in columns)]
    types = [*("int4" for _key in keys), *(col_type for _name, col_type in columns)]
    # Column by column, the type tested once per column: a batch holds
    # 150,000 values.
    values = [
        [None if row.get(name) is None else json.dumps(row[name]) for row in rows]
        if col_type == "jsonb"
        else [row.get(name) for row in rows]
        for name, col_type in zip(names, types, strict=True)
    ]
    statement = _statement(
        table, tuple(names), tuple(types), tuple(keys), tuple(unless_same or ())
    )
    if len(rows) < COPY_FROM_ROWS:
        _head, _tail, casts, aliases = statement
        source = SQL(
            "unnest(%s) AS v(%s)",
            SQL(", ").join(
                SQL("%s::%s[]", column, cast)
                for column, cast in zip(values, casts, strict=True)
            ),
            aliases,
        )
        return _upsert_from(env, statement, source, also)
    staging = SQL.identifier(f"{table}_upsert")
    env.cr.execute(
        SQL(
            "CREATE TEMPORARY TABLE %s (%s) ON COMMIT DROP",
            staging,
            SQL(", ").join(
                SQL("%s %s", SQL.identifier(name), SQL(_staging_type(col_type)))
                for name, col_type in zip(names, types, strict=True)
            ),
        )
    )
    texts = [
        _copy_column(column, col_type)
        for column, col_type in zip(values, types, strict=True)
    ]
    buffer = io.StringIO(
        "".join("\t".join(row) + "\n" for row in zip(*texts, strict=True))
    )
    # As Odoo's own COPY (models.py, __ensure_xml_id): a COPY cannot run
    # under an asynchronous wait callback (the gevent worker).
    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        env.cr.copy_from(buffer, f"{table}_upsert", columns=names)
    finally:
        psycopg2.extensions.set_wait_callback(callback)
    written = _upsert_from(env, statement, SQL("%s AS v", staging), also)
    env.cr.execute(SQL("DROP TABLE %s", staging))
    return written


@functools.lru_cache(maxsize=64)
def _statement(table, names, types, keys, unless_same):
    """The parts of an upsert that depend only on its table and columns:
    ``(head, tail, casts, aliases)``, composed once per process: composed anew on
    every order confirmation, the profile's thirty columns are a few
    hundred ``SQL`` objects.

    ``head`` is the statement up to its source (the writer's id, twice,
    still to give), ``tail`` what follows the source; ``casts`` (the array
    type of each column) and ``aliases`` make the source of a few rows sent
    as arrays.
    """
    head = SQL(
        """
        INSERT INTO %(table)s
               (%(names)s, create_uid, create_date, write_uid, write_date)
        SELECT %(selected)s, """,
        table=SQL.identifier(table),
        names=SQL(", ").join(SQL.identifier(name) for name in names),
        selected=SQL(", ").join(
            SQL("v.%s::%s", SQL.identifier(name), SQL(col_type))
            for name, col_type in zip(names, types, strict=True)
        ),
    )
    tail = SQL(
        """
        ON CONFLICT (%(keys)s) DO UPDATE
           SET %(updates)s, write_uid = EXCLUDED.write_uid,
               write_date = EXCLUDED.write_date
        %(unless_same)s
        """,
        keys=SQL(", ").join(SQL.identifier(key) for key in keys),
        updates=SQL(", ").join(
            SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name))
            for name in names
            if name not in keys
        ),
        unless_same=SQL(
            "WHERE (%s) IS DISTINCT FROM (%s)",
            SQL(", ").join(
                SQL("%s.%s", SQL.identifier(table), SQL.identifier(name))
                for name in unless_same
            ),
            SQL(", ").join(
                SQL("EXCLUDED.%s", SQL.identifier(name)) for name in unless_same
            ),
        )
        if unless_same
        else SQL(),
    )
    casts = tuple(SQL(_array_type(col_type)) for col_type in types)
    aliases = SQL(", ").join(SQL.identifier(name) for name in names)
    return head, tail, casts, aliases


def _upsert_from(env, statement, source, also):
    head, tail, _casts, _aliases = statement
    env.cr.execute(
        SQL(
            """
            %s
            %s %s, now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC'
              FROM %s
            %s
            """,
            SQL("WITH also AS (%s)", also) if also else SQL(),
            head,
            env.uid,
            env.uid,
            source,
            tail,
        )
    )
    return env.cr.rowcount


def _array_type(col_type):
    """jsonb travels as text and is cast back by the upsert."""
    return "text" if col_type == "jsonb" else col_type


def _staging_type(col_type):
    """Integers are staged as numeric, so that a float the computation
    produced (3.0) is rounded by the upsert's cast, as in an array."""
    return "numeric" if col_type in ("int4", "int8") else _array_type(col_type)


def _copy_column(values, col_type):
    """A column's values in COPY's text format, converted column by column:
    a batch holds 150,000 values."""
    if col_type in ("int4", "int8", "numeric", "float8", "date"):
        # str() of a float is its shortest exact form, as psycopg2 sends it;
        # PostgreSQL reads NaN and infinities from it too.
        return [r"\N" if v is None else str(v) for v in values]
    if col_type == "bool":
        return [r"\N" if v is None else ("t" if v else "f") for v in values]
    return [r"\N" if v is None else _copy_escape(str(v)) for v in values]


# COPY's text format escapes the backslash and the separators.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_escape(text):
    """Text in COPY's text format (one C call, not four replacements)."""
    return text.translate(_COPY_ESCAPES)

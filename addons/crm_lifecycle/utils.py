"""SQL helpers shared by the suite's models (crm_lifecycle, crm_churn).

Plain functions over a cursor and ``odoo.tools.SQL``: they hold no business
rule, so they live beside the models rather than on one of them.
"""

from odoo.tools import SQL


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


def pair_filter(alias, pairs):
    """``WHERE`` condition selecting the rows of ``alias`` that belong to the
    given ``(partner_id, company_id)`` pairs.

    A filter rather than a join with the list of pairs: on a first night the
    suite's history tables grow faster than autovacuum analyzes them, and
    with statistics saying a table is nearly empty PostgreSQL joined by
    scanning it once per customer (110 s for one batch at 1M customers).
    Filtered by partner (indexed) and then by pair key, the worst plan is one
    scan.
    """
    pairs = list(pairs)
    table = SQL.identifier(alias)
    return SQL(
        "%(t)s.partner_id = ANY(%(partners)s)"
        " AND concat(%(t)s.partner_id, ':', %(t)s.company_id) = ANY(%(keys)s)",
        t=table,
        partners=[partner_id for partner_id, _company_id in pairs],
        keys=[f"{partner_id}:{company_id}" for partner_id, company_id in pairs],
    )

from datetime import date, datetime, time, timedelta

from odoo import Command
from odoo.tests import TransactionCase
from odoo.tools import SQL

TODAY = date(2026, 6, 30)


def index_scans(env, query, table, index):
    """How ``query`` reads ``table`` when ``index`` is its only index that
    can find rows by a condition: the plan's scans of that table, for
    checking that a covering index serves the query alone.

    Every other index of the table that no constraint needs is dropped and
    sequential and bitmap scans are disabled, for the EXPLAIN only (a
    savepoint undoes it all), so that the planner's choice does not depend
    on the statistics of the test database. It then shows an Index Only Scan
    of ``index`` when the index holds every column the query reads, and an
    Index Scan when it does not.
    """
    env.cr.execute("SAVEPOINT index_scans")
    try:
        env.cr.execute("SET LOCAL enable_seqscan = off")
        env.cr.execute("SET LOCAL enable_bitmapscan = off")
        others = env.execute_query(
            SQL(
                """
                SELECT c.relname
                  FROM pg_index i
                  JOIN pg_class c ON c.oid = i.indexrelid
                 WHERE i.indrelid = %s::regclass
                   AND NOT i.indisunique AND c.relname != %s
                """,
                table,
                index,
            )
        )
        for (other,) in others:
            env.execute_query(SQL("DROP INDEX %s", SQL.identifier(other)))
        plan = [row[0] for row in env.execute_query(SQL("EXPLAIN %s", query))]
    finally:
        env.cr.execute("ROLLBACK TO SAVEPOINT index_scans")
    return [
        line.strip().removeprefix("->").strip()
        for line in plan
        if f" on {table} " in line
    ]


def order_scans(env, query):
    """``index_scans`` of sale_order: what reads a customer's orders must be
    served by the suite's covering index alone
    (SaleOrder._lifecycle_facts_index)."""
    return index_scans(env, query, "sale_order", "sale_order_crm_lifecycle_facts_idx")


class LifecycleCommon(TransactionCase):
    """Customers with hand-made order histories, on a frozen today."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A company of our own: the quintiles and fits of the tests must not
        # depend on whatever customers (demo data included) the database has.
        company = cls.env["res.company"].create({"name": "Lifecycle Test Co"})
        cls.env.user.company_ids |= company
        cls.env = cls.env(
            context=dict(
                cls.env.context, tracking_disable=True, allowed_company_ids=company.ids
            )
        )
        cls.company = cls.env.company
        # Customers queued by confirmations committed before these tests (the
        # RPC tests use the same database) would count in their assertions on
        # the queue; the tests' transaction is rolled back, the rows return.
        cls.env["crm.lifecycle.refresh.queue"].search([]).unlink()
        cls.product = cls.env["product.product"].create(
            {"name": "Lifecycle test product", "type": "service", "list_price": 100}
        )
        cls.Profile = cls.env["crm.lifecycle.profile"]
        cls.Run = cls.env["crm.lifecycle.run"]

    @classmethod
    def _customer(cls, name, days_ago=(), amounts=None, company=None, state="sale"):
        """A company customer with one order per entry of ``days_ago``."""
        partner = cls.env["res.partner"].create({"name": name, "is_company": True})
        amounts = amounts or [100.0] * len(days_ago)
        for ago, amount in zip(days_ago, amounts, strict=True):
            cls._order(partner, TODAY - timedelta(days=ago), amount, company, state)
        return partner

    @classmethod
    def _order(cls, partner, day, amount=100.0, company=None, state="sale"):
        company = company or cls.company
        return (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "date_order": datetime.combine(day, time(12)),
                    "state": state,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )

    def _recompute(self, partners=None):
        """The nightly run for everyone, or a refresh of some customers."""
        if partners is not None:
            self.Profile._refresh_partners(partners.ids)
            return None
        self.Run.search([("state", "=", "running")]).write({"state": "done"})
        run = self.Run.create({"as_of": TODAY})
        while run.state == "running":
            run._process_batch()
        return run

    def _profile(self, partner, company=None):
        company = company or self.company
        return self.Profile.search(
            [("partner_id", "=", partner.id), ("company_id", "=", company.id)]
        )

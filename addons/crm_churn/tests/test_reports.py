from datetime import datetime, time, timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import ChurnCommon


@tagged("post_install", "-at_install")
class TestChurnReports(ChurnCommon):
    """The SQL views on their own company, so demo data cannot blur them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_c = cls.env["res.company"].create({"name": "Churn Reports Co"})
        cls.month = fields.Date.today().replace(day=1)
        cls.previous = (cls.month - timedelta(days=1)).replace(day=1)

    def _flush_views(self):
        self.env.flush_all()
        for model in ("crm.churn.rate.report", "crm.churn.cohort.report"):
            self.env[model].invalidate_model()

    def test_churn_rate_counts_base_customers_entering_churned(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Rate {i}", "is_company": True} for i in range(3)]
        )
        p1, p2, p3 = partners.ids
        cid = self.company_c.id
        History = self.env["crm.lifecycle.stage.history"]
        History._record_moves(
            [(p1, cid, None, "active"), (p2, cid, None, "active")],
            self.previous + timedelta(days=4),
        )
        # Already churned before the month: not in the base, not counted.
        History._record_moves([(p3, cid, None, "churned")], self.previous)
        History._record_moves([(p1, cid, "active", "churned")], self.month)
        self._flush_views()
        [row] = self.env["crm.churn.rate.report"].search(
            [("company_id", "=", cid), ("month", "=", self.month)]
        )
        self.assertEqual(row.active_base, 2)
        self.assertEqual(row.churned_count, 1)
        self.assertAlmostEqual(row.churn_rate, 50.0)
        [before] = self.env["crm.churn.rate.report"].search(
            [("company_id", "=", cid), ("month", "=", self.previous)]
        )
        self.assertEqual(before.churned_count, 0)

    def test_retention_by_cohort_of_first_order_month(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Cohort {i}", "is_company": True} for i in range(2)]
        )
        SaleOrder = self.env["sale.order"].with_company(self.company_c)

        def order(partner, day):
            SaleOrder.create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company_c.id,
                    "state": "sale",
                    "date_order": datetime.combine(day, time(10)),
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.product.id,
                                "price_unit": 10.0,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )

        order(partners[0], self.previous + timedelta(days=2))
        order(partners[1], self.previous + timedelta(days=3))
        order(partners[0], self.month)
        self._flush_views()
        rows = self.env["crm.churn.cohort.report"].search(
            [("company_id", "=", self.company_c.id), ("cohort", "=", self.previous)]
        )
        by_offset = {row.months_after: row for row in rows}
        self.assertEqual(set(by_offset), {0, 1})
        self.assertEqual(by_offset[0].cohort_size, 2)
        self.assertAlmostEqual(by_offset[0].retention_rate, 100.0)
        self.assertEqual(by_offset[1].active_customers, 1)
        self.assertAlmostEqual(by_offset[1].retention_rate, 50.0)

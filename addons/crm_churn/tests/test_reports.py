from datetime import datetime, time, timedelta

from lxml import etree

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

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

    def test_cohorts_count_every_channel(self):
        """A customer who buys on direct invoices (no sale order) belongs to
        the cohort of his first invoice and is active when he buys again;
        one who was only refunded is no buyer."""
        buyer, refunded = self.env["res.partner"].create(
            [
                {"name": "Cohort invoiced", "is_company": True},
                {"name": "Cohort refunded", "is_company": True},
            ]
        )
        product = self.env["product.product"].create({"name": "Cohort service"})
        self.env["account.chart.template"].try_loading(
            "generic_coa", company=self.company_c, install_demo=False
        )

        def invoice(partner, day, move_type="out_invoice"):
            move = (
                self.env["account.move"]
                .with_company(self.company_c)
                .create(
                    {
                        "move_type": move_type,
                        "partner_id": partner.id,
                        "invoice_date": day,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "product_id": product.id,
                                    "quantity": 1,
                                    "price_unit": 100.0,
                                    "tax_ids": [Command.clear()],
                                }
                            )
                        ],
                    }
                )
            )
            move.action_post()

        invoice(buyer, self.previous + timedelta(days=2))
        invoice(buyer, self.month)
        invoice(refunded, self.previous, move_type="out_refund")
        self._flush_views()
        rows = self.env["crm.churn.cohort.report"].search(
            [("company_id", "=", self.company_c.id), ("cohort", "=", self.previous)]
        )
        by_offset = {row.months_after: row for row in rows}
        self.assertEqual(by_offset[0].cohort_size, 1)
        self.assertEqual(by_offset[1].active_customers, 1)
        self.company_c.lifecycle_count_invoices = False
        self._flush_views()
        self.assertFalse(
            self.env["crm.churn.cohort.report"].search(
                [("company_id", "=", self.company_c.id)]
            ),
            "a company that does not count direct invoices has no such buyers",
        )

    def test_months_before_the_history_have_no_rate(self):
        """A month without customers has no churn rate (not 0 %), and the
        report opens on the months with customers."""
        partner = self.env["res.partner"].create(
            {"name": "Rate alone", "is_company": True}
        )
        self.env["crm.lifecycle.stage.history"]._record_moves(
            [(partner.id, self.company_c.id, None, "active")],
            self.previous + timedelta(days=4),
        )
        self._flush_views()
        self.env.cr.execute(
            "SELECT month, active_base, churn_rate FROM crm_churn_rate_report"
            " WHERE company_id = %s ORDER BY month",
            [self.company_c.id],
        )
        rows = self.env.cr.fetchall()
        empty = [row for row in rows if not row[1]]
        self.assertTrue(empty)
        self.assertTrue(all(row[2] is None for row in empty), empty)
        [current] = [row for row in rows if row[0] == self.month]
        self.assertEqual((current[1], current[2]), (1, 0.0))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_churn.action_crm_churn_rate_report"
        )
        context = safe_eval(action["context"])
        self.assertTrue(context.get("search_default_with_base"))
        self.assertTrue(context.get("search_default_last_12_months"))

    def test_cohorts_read_with_their_size_and_month_columns(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Sized {i}", "is_company": True} for i in range(3)]
        )
        SaleOrder = self.env["sale.order"].with_company(self.company_c)
        for partner, day in (
            (partners[0], self.previous + timedelta(days=1)),
            (partners[1], self.previous + timedelta(days=2)),
            (partners[2], self.month),
            (partners[0], self.month),
        ):
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
        self._flush_views()
        Cohort = self.env["crm.churn.cohort.report"]
        domain = [("company_id", "=", self.company_c.id)]
        groups = Cohort.read_group(
            domain, ["retention_rate"], ["cohort:month", "period"], lazy=False
        )
        labels = {group["cohort:month"] for group in groups}
        self.assertEqual(len(labels), 2)
        self.assertTrue(any(label.endswith("(2 customers)") for label in labels))
        self.assertTrue(any(label.endswith("(1 customer)") for label in labels))
        periods = dict(Cohort._fields["period"]._description_selection(self.env))
        self.assertEqual(periods["01"], "Month 1")
        self.assertEqual(periods["00"], "Month 0 (first order)")
        self.assertEqual(sorted({group["period"] for group in groups}), ["00", "01"])
        pivot = etree.fromstring(
            self.env.ref("crm_churn.crm_churn_cohort_report_view_pivot").arch
        )
        self.assertEqual(pivot.xpath("//field[@type='col']/@name"), ["period"])

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.crm_lifecycle_pos.hooks import uninstall_hook
from odoo.addons.point_of_sale.tests.common import TestPoSCommon


@tagged("post_install", "-at_install")
class TestPosPurchases(TestPoSCommon):
    """Paid POS orders are purchases of their customer, sent the way the
    till sends them (``sync_from_ui``); refunds at the till reduce them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.config = cls.basic_config
        # Untaxed 100, taxed 110 at the till: the facts count the untaxed
        # amount, as for a sale order.
        tax = cls.env["account.tax"].create(
            {"name": "POS tax 10%", "amount": 10, "company_id": cls.company.id}
        )
        cls.product = cls.create_product(
            "Counter product", cls.categ_basic, 110, tax_ids=tax.ids
        )
        tax.price_include_override = "tax_included"
        cls.member = cls.env["res.partner"].create(
            {"name": "Counter member", "is_company": True}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Member's contact", "parent_id": cls.member.id}
        )
        cls.Queue = cls.env["crm.lifecycle.refresh.queue"]
        cls.Profile = cls.env["crm.lifecycle.profile"]

    def setUp(self):
        super().setUp()
        self.open_new_session()
        self.Queue.sudo().search([]).unlink()

    def _sell(self, qty=1, customer=None, invoiced=False, settles=None):
        data = self.create_ui_order_data(
            [(self.product, qty)],
            customer=customer if customer is not None else self.member,
            is_invoiced=invoiced,
        )
        if settles:
            # The till settling a quotation (pos_sale): its lines name the
            # sale order and its line.
            data["lines"][0][2].update(
                sale_order_origin_id=settles.id,
                sale_order_line_id=settles.order_line[0].id,
            )
        for number, (_command, _id, line) in enumerate(data["lines"], 1):
            # Named by the till, as the POS screen does.
            line["name"] = f"{data['name']}-{number}"
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def _profile(self, partner=None):
        self.Queue._cron_process()
        self.Profile.invalidate_model()
        return self.Profile.search(
            [
                ("partner_id", "=", (partner or self.member).id),
                ("company_id", "=", self.company.id),
            ]
        )

    def test_paid_order_is_a_purchase_of_the_commercial_partner(self):
        order = self._sell(customer=self.contact)
        self.assertEqual(order.state, "paid")
        self.assertEqual(order.amount_total, 110.0)
        self.assertEqual(
            self.Queue.search([]).partner_id, self.contact, "queued, not computed"
        )
        profile = self._profile()
        self.assertEqual(profile.order_count, 1)
        self.assertAlmostEqual(profile.historic_clv, 100.0)
        self.assertEqual(profile.stage, "new")
        self._sell(qty=2)
        profile = self._profile()
        self.assertEqual(profile.order_count, 2)
        self.assertAlmostEqual(profile.historic_clv, 300.0)
        member = self.member.with_company(self.company)
        member.invalidate_recordset()
        self.assertEqual(member.lifecycle_order_count, 2)
        self.assertAlmostEqual(member.lifecycle_historic_clv, 300.0)

    def test_refund_at_the_till_reduces_never_below_zero(self):
        self._sell(qty=2)
        self._sell(qty=-1)
        profile = self._profile()
        self.assertEqual(profile.order_count, 1, "a refund is not an order")
        self.assertAlmostEqual(profile.historic_clv, 100.0)
        self._sell(qty=-5)
        self.assertEqual(self._profile().historic_clv, 0.0)

    def test_orders_without_customer_are_ignored(self):
        order = self._sell(customer=False)
        self.assertEqual(order.state, "paid")
        self.assertFalse(self.Queue.search([]))
        self.assertFalse(self._profile())

    def test_invoiced_order_counts_once(self):
        order = self._sell(invoiced=True)
        self.assertEqual(order.state, "invoiced")
        self.assertEqual(order.account_move.state, "posted")
        profile = self._profile()
        self.assertEqual(profile.order_count, 1)
        self.assertAlmostEqual(profile.historic_clv, 100.0)
        refund = self._sell(qty=-1, invoiced=True)
        self.assertEqual(refund.account_move.move_type, "out_refund")
        self.assertEqual(self._profile().historic_clv, 0.0, "refunded once")

    def test_company_that_does_not_count_the_till(self):
        self.company.lifecycle_count_pos = False
        self._sell()
        self.assertFalse(self.Queue.search([]), "nothing to refresh")
        self.Profile._refresh_partners([self.member.id])
        self.assertFalse(self._profile())

    def test_the_nightly_run_sees_the_till(self):
        self._sell()
        self.Queue.sudo().search([]).unlink()
        self.Profile._refresh_partners([self.member.id])
        self.assertEqual(self._profile().order_count, 1)

    def _sync_queries(self):
        data = self.create_ui_order_data([(self.product, 1)], customer=self.member)
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        self.env["pos.order"].sync_from_ui([data])
        self.env.flush_all()
        return self.cr.sql_log_count - before

    def test_the_till_pays_one_statement(self):
        """What a paid order costs the till for the suite: the queue's one
        statement, never the customer's history."""
        order = self._sell()  # warms the caches
        with self.assertQueryCount(1):
            order._lifecycle_refresh()
        with_queue = self._sync_queries()
        self.company.lifecycle_count_pos = False
        without = self._sync_queries()
        self.assertLessEqual(with_queue - without, 5)

    def test_a_cashier_queues_the_customer(self):
        """A cashier as Odoo's own POS tests make one: no sales rights."""
        cashier = new_test_user(
            self.env,
            login="crm_pos_cashier",
            groups="base.group_user,point_of_sale.group_pos_user,stock.group_stock_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        self.env = self.env(user=cashier)
        order = self._sell()
        self.assertEqual(order.state, "paid")
        self.assertEqual(self.Queue.sudo().search([]).partner_id, self.member)
        self.assertEqual(self._profile().sudo().order_count, 1)

    def test_settling_a_sale_order_at_the_till_counts_once(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.member.id,
                "company_id": self.company.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": 1,
                            "price_unit": 100.0,
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        pos_order = self._sell(settles=order)
        self.assertEqual(pos_order.lines.sale_order_origin_id, order)
        profile = self._profile()
        self.assertEqual(profile.order_count, 1, "the sale order, not the till")
        self.assertAlmostEqual(profile.historic_clv, 100.0)

    def _purchase_view_rows(self):
        self.env.flush_all()
        return self.env.execute_query(
            SQL(
                "SELECT company_id, day FROM crm_lifecycle_purchase"
                " WHERE partner_id = %s",
                self.member.id,
            )
        )

    def test_reports_on_purchases_see_the_till(self):
        """Reports that are SQL views (the churn cohorts) read purchases
        from crm_lifecycle_purchase: the till's orders are in it as soon as
        this addon is installed, and out of it when it is uninstalled."""
        order = self._sell(customer=self.contact)
        day = order.date_order.date()
        self.assertEqual(self._purchase_view_rows(), [(self.company.id, day)])
        uninstall_hook(self.env)
        self.assertEqual(self._purchase_view_rows(), [])
        [[definition]] = self.env.execute_query(
            SQL("SELECT pg_get_viewdef('crm_lifecycle_purchase')")
        )
        self.assertNotIn("pos_order", definition)
        self.assertNotIn("lifecycle_count_pos", definition)

from datetime import date

from odoo import Command
from odoo.tests import TransactionCase, freeze_time, tagged

TODAY = date(2026, 6, 30)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestInvoicePurchases(TransactionCase):
    """Invoices without a sale order are purchases; credit notes reduce
    only what the customer bought, never below zero."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.company.lifecycle_refresh_on_order = "confirm"
        cls.product = cls.env["product.product"].create(
            {"name": "Direct invoice product", "type": "service", "list_price": 100}
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Invoiced directly", "is_company": True}
        )
        cls.Profile = cls.env["crm.lifecycle.profile"]

    def _invoice(self, amount, day=TODAY, move_type="out_invoice", partner=None):
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (partner or self.customer).id,
                "invoice_date": day,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move

    def _order(self, partner, amount):
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": 1,
                            "price_unit": amount,
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        return order

    def _refund(self, invoice, day=TODAY):
        wizard = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "date": day,
                    "journal_id": invoice.journal_id.id,
                    "reason": "Returned",
                }
            )
        )
        refund = self.env["account.move"].browse(wizard.refund_moves()["res_id"])
        if refund.state == "draft":
            refund.action_post()
        return refund

    def _profile(self, partner=None):
        self.Profile.invalidate_model()
        return self.Profile.search(
            [
                ("partner_id", "=", (partner or self.customer).id),
                ("company_id", "=", self.company.id),
            ]
        )

    def test_invoice_without_order_counts_once_posted(self):
        self._invoice(400.0, day=date(2026, 6, 1))
        profile = self._profile()
        self.assertEqual(profile.order_count, 1)
        self.assertEqual(profile.historic_clv, 400.0)
        self.assertEqual(profile.last_order_date, date(2026, 6, 1))
        self.assertEqual(profile.stage, "new")
        self.assertEqual(self.customer.lifecycle_stage, "new")

    def test_posting_queues_the_customer_in_background_mode(self):
        self.company.lifecycle_refresh_on_order = "queue"
        Queue = self.env["crm.lifecycle.refresh.queue"]
        Queue.search([]).unlink()
        self._invoice(400.0)
        self.assertEqual(Queue.search([]).partner_id, self.customer)
        self.assertFalse(self._profile())
        Queue._cron_process()
        self.assertEqual(self._profile().order_count, 1)

    def test_refunded_invoice_leaves_nothing_and_never_less(self):
        invoice = self._invoice(400.0, day=date(2026, 6, 1))
        refund = self._refund(invoice)
        self.assertEqual(refund.reversed_entry_id, invoice)
        self.assertEqual(self._profile().historic_clv, 0.0)
        # A credit note for more than was ever bought (a goodwill credit,
        # an invoice from before the suite's data) stops at zero.
        self._invoice(900.0, move_type="out_refund")
        self.assertEqual(self._profile().historic_clv, 0.0)

    def test_partial_credit_note_reduces_what_it_refunds(self):
        self._invoice(400.0, day=date(2026, 6, 1))
        self._invoice(150.0, move_type="out_refund")
        self.assertEqual(self._profile().historic_clv, 250.0)

    def test_order_invoice_is_not_counted_twice(self):
        order = self._order(self.customer, 300.0)
        self.product.invoice_policy = "order"
        invoice = order._create_invoices()
        invoice.action_post()
        profile = self._profile()
        self.assertEqual(profile.order_count, 1)
        self.assertEqual(profile.historic_clv, 300.0)

    def test_company_that_does_not_count_invoices(self):
        self.company.lifecycle_count_invoices = False
        invoice = self._invoice(400.0, day=date(2026, 6, 1))
        self.assertFalse(self._profile())
        # Its credit note refunds a purchase that was not counted: a customer
        # who also bought through an order keeps that order's whole value.
        order_customer = self.env["res.partner"].create({"name": "Order buyer"})
        self._order(order_customer, 300.0)
        other = self._invoice(200.0, partner=order_customer)
        self._refund(other)
        self.assertEqual(self._profile(order_customer).historic_clv, 300.0)
        self._refund(invoice)
        self.assertFalse(self._profile())

    def test_demo_customer_with_refunded_invoices_is_not_worth_less_than_zero(self):
        deco = self.env.ref("base.res_partner_2", raise_if_not_found=False)
        if not deco:
            self.skipTest("needs the demo data")  # pragma: no cover
        self.Profile._refresh_partners([deco.id])
        self.assertGreaterEqual(deco.lifecycle_historic_clv, 0.0)
        self.assertNotEqual(deco.lifecycle_stage, "prospect")

    def test_the_purchase_model_reads_invoices_and_orders_alike(self):
        """The fit's inputs count a purchase day the same whether it came as
        an order or as an invoice without one."""
        self._order(self.customer, 300.0)
        self._invoice(100.0, day=date(2026, 3, 1))
        self._invoice(200.0, day=date(2026, 5, 1))
        model = self.env["crm.purchase.model"].create({"calibration_end": TODAY})
        ids, repeats, span, age, spend = model._fit_inputs()
        i = ids.tolist().index(self.customer.id)
        self.assertEqual(repeats[i], 2)
        self.assertEqual(span[i], (TODAY - date(2026, 3, 1)).days)
        self.assertEqual(age[i], (TODAY - date(2026, 3, 1)).days)
        self.assertAlmostEqual(spend[i], 500.0)
        self.assertEqual(
            model._holdout_actuals([self.customer.id], date(2026, 4, 1), TODAY), 1
        )

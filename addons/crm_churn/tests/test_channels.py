from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import TODAY, ChurnCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestChurnChannels(ChurnCommon):
    """The churn signals read the purchases the lifecycle counts, in every
    channel: here invoices without a sale order and their credit notes."""

    def _invoice(self, partner, days_ago, amount, move_type="out_invoice"):
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": TODAY - timedelta(days=days_ago),
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

    def test_invoices_without_order_are_orders_for_the_signals(self):
        partner = self.env["res.partner"].create(
            {"name": "Invoiced buyer", "is_company": True}
        )
        self._orders(partner, [300])
        for days in (20, 50, 250):
            self._invoice(partner, days, 100.0)
        self._invoice(partner, 10, 40.0, move_type="out_refund")
        self.env["crm.lifecycle.profile"]._refresh_partners(partner.ids, as_of=TODAY)
        [fact] = self.env["crm.churn.risk"]._gather(partner.ids, TODAY)
        months = self.company.churn_period_months
        start = TODAY - relativedelta(months=months)
        recent = sum(
            TODAY - timedelta(days=days) >= start for days in (20, 50, 250, 300)
        )
        self.assertGreaterEqual(recent, 2)
        self.assertEqual(fact["recent_orders"], recent)
        self.assertEqual(fact["orders_12m"], 4)
        self.assertAlmostEqual(fact["recent_revenue"], 100.0 * recent)
        self.assertEqual(fact["cancellations"], 1, "the credit note")
        self.assertEqual(fact["days_since_last_order"], 20)

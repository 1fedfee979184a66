from datetime import datetime, time, timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestJourneyTour(HttpCase):
    def test_journey_tour(self):
        """A manager starts the ready 90-day coupon journey, runs it, and
        opens the customer who received the coupon."""
        manager = new_test_user(
            self.env,
            login="journey_tour_manager",
            name="Journey Tour Manager",
            groups="sales_team.group_sale_manager",
        )
        customer = self.env["res.partner"].create(
            {"name": "Journey Tour Customer", "email": "tour.customer@example.com"}
        )
        product = self.env["product.product"].create(
            {"name": "Journey tour product", "list_price": 50.0}
        )
        today = fields.Date.context_today(self.env["res.partner"])
        self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "state": "sale",
                "date_order": datetime.combine(today - timedelta(days=90), time(10)),
                "order_line": [Command.create({"product_id": product.id})],
            }
        )
        self.env["crm.lifecycle.profile"]._refresh_partners(customer.ids, as_of=today)
        journey = self.env.ref("crm_journey.journey_no_repurchase_90")
        self.assertEqual(journey.state, "draft")
        self.start_tour("/odoo", "crm_journey_tour", login=manager.login)
        self.assertEqual(journey.state, "running")
        run = self.env["crm.journey.participant"].search(
            [("journey_id", "=", journey.id), ("partner_id", "=", customer.id)]
        )
        self.assertEqual(run.step_id.kind, "activity")
        self.assertTrue(
            self.env["loyalty.card"].search(
                [
                    ("partner_id", "=", customer.id),
                    ("program_id", "=", journey.step_ids[:1].coupon_program_id.id),
                ]
            )
        )

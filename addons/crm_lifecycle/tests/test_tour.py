from datetime import date, datetime, timedelta

from odoo import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestLifecycleTour(HttpCase):
    def test_lifecycle_tour(self):
        today = date.today()
        product = self.env["product.product"].create(
            {"name": "Tour product", "type": "service"}
        )
        # The admin's customer: the customers kanban opens on "My customers".
        partner = self.env["res.partner"].create(
            {
                "name": "Tour Customer",
                "is_company": True,
                "user_id": self.env.ref("base.user_admin").id,
            }
        )
        for ago in (150, 120, 90, 60, 30):
            self.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "state": "sale",
                    "date_order": datetime.combine(
                        today - timedelta(days=ago), datetime.min.time()
                    ),
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "price_unit": 80.0,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        self.env["crm.lifecycle.run"].action_recompute_now()
        self.assertEqual(partner.lifecycle_stage, "active")
        self.assertEqual(self.env.company.lifecycle_refresh_on_order, "queue")
        self.start_tour(
            "/odoo",
            "crm_lifecycle_tour",
            login="admin",
        )
        # The tour's last steps chose "As the order is confirmed" in
        # Settings > Lifecycle and saved.
        self.env.invalidate_all()
        self.assertEqual(self.env.company.lifecycle_refresh_on_order, "confirm")

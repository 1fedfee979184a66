from datetime import date, datetime, timedelta

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestLifecycleTour(HttpCase):
    def _tour_customer(self, salesperson):
        """An Active customer of ``salesperson``: five orders a month apart."""
        today = date.today()
        product = self.env["product.product"].create(
            {"name": "Tour product", "type": "service"}
        )
        partner = self.env["res.partner"].create(
            {"name": "Tour Customer", "is_company": True, "user_id": salesperson.id}
        )
        for ago in (150, 120, 90, 60, 30):
            self.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "user_id": salesperson.id,
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
        return partner

    def test_lifecycle_tour(self):
        """The customers kanban in lifecycle order with labelled tags, the
        analysis screens, the export, the purchase models and the
        settings, as an administrator."""
        self._tour_customer(self.env.ref("base.user_admin"))
        self.assertEqual(self.env.company.lifecycle_refresh_on_order, "queue")
        self.start_tour("/odoo", "crm_lifecycle_tour", login="admin")
        # The tour's last steps chose "As the order is confirmed" in
        # Settings > Lifecycle and saved.
        self.env.invalidate_all()
        self.assertEqual(self.env.company.lifecycle_refresh_on_order, "confirm")

    def test_salesperson_tour(self):
        """A salesperson's kanban opens on their own customers: only the
        stage of their one customer is open, the others folded."""
        salesman = new_test_user(
            self.env,
            "lc_tour_salesman",
            groups="sales_team.group_sale_salesman",
        )
        self._tour_customer(salesman)
        self.start_tour("/odoo", "crm_lifecycle_salesperson_tour", login=salesman.login)

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import make_company, make_orders

# The figure the tour reads in the dashboard's repurchase cell.
TOUR_REPURCHASE_RATE = 50.0


@tagged("post_install", "-at_install")
class TestDashboardTour(HttpCase):
    def test_dashboard_tour(self):
        """A sales manager opens Dashboards > Customer Lifecycle; the
        repurchase cell shows the rate the snapshot computed: 1 repeat buyer
        out of 2."""
        company = make_company(self.env, "KPI Tour Co")
        product = self.env["product.product"].create(
            {"name": "KPI tour product", "type": "service", "list_price": 10.0}
        )
        today = fields.Date.context_today(self.env["res.partner"])
        repeat = self.env["res.partner"].create({"name": "Tour repeat buyer"})
        once = self.env["res.partner"].create({"name": "Tour single buyer"})
        make_orders(self.env, company, repeat, [5, 50], product, today=today)
        make_orders(self.env, company, once, [7], product, today=today)
        manager = new_test_user(
            self.env,
            login="kpi_tour_manager",
            name="Kpi Tour Manager",
            groups="sales_team.group_sale_manager",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        Kpi = self.env["crm.lifecycle.kpi"]
        Kpi.with_user(manager).with_company(company).action_compute_now()
        snapshot = Kpi.search(
            [("company_id", "=", company.id), ("is_latest", "=", True)]
        )
        self.assertEqual(snapshot.repurchase_rate, TOUR_REPURCHASE_RATE)
        self.start_tour("/odoo", "crm_lifecycle_dashboard_tour", login=manager.login)

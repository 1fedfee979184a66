from ast import literal_eval
from datetime import datetime, time, timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestMassMailingTour(HttpCase):
    def test_campaign_from_the_lifecycle_list(self):
        """Lifecycle > Customers as a list, in the browser: a sales manager
        who uses Email Marketing selects three customers and picks Email
        campaign; a draft mailing opens, to the two who accept marketing."""
        manager = new_test_user(
            self.env,
            login="mailing_tour_manager",
            name="Mailing Tour Manager",
            groups="sales_team.group_sale_manager,mass_mailing.group_mass_mailing_user",
        )
        product = self.env["product.product"].create(
            {"name": "Mailing tour product", "type": "service", "list_price": 60.0}
        )
        Partner = self.env["res.partner"]
        willing = Partner.create(
            [
                {
                    "name": name,
                    "is_company": True,
                    "user_id": manager.id,
                    "email": f"{name.replace(' ', '.').lower()}@example.com",
                }
                for name in ("Mailing Tour A", "Mailing Tour B")
            ]
        )
        no_marketing = Partner.create(
            {
                "name": "Mailing Tour No Marketing",
                "is_company": True,
                "user_id": manager.id,
                "email": "mailing.tour.no.marketing@example.com",
                "lifecycle_no_marketing": True,
            }
        )
        customers = willing | no_marketing
        today = fields.Date.context_today(manager)
        self.env["sale.order"].create(
            [
                {
                    "partner_id": customer.id,
                    "state": "sale",
                    "date_order": datetime.combine(
                        today - timedelta(days=30), time(10)
                    ),
                    "order_line": [Command.create({"product_id": product.id})],
                }
                for customer in customers
            ]
        )
        self.env["crm.lifecycle.profile"]._refresh_partners(customers.ids, as_of=today)
        self.assertEqual(len(customers.lifecycle_profile_id), 3)
        Mailing = self.env["mailing.mailing"]
        before = Mailing.search([])
        self.start_tour("/odoo", "crm_lifecycle_mass_mailing_tour", login=manager.login)
        mailing = Mailing.search([]) - before
        self.assertEqual(len(mailing), 1)
        self.assertEqual(mailing.create_uid, manager)
        self.assertEqual(
            (mailing.mailing_type, mailing.state, mailing.mailing_model_real),
            ("mail", "draft", "res.partner"),
        )
        self.assertEqual(Partner.search(literal_eval(mailing.mailing_domain)), willing)

from datetime import datetime, time, timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


class ScreensTourCase(HttpCase):
    def _customer_with_order(self, vals, days_ago=30):
        """A customer with one confirmed order, recomputed: it has a
        lifecycle profile, as on the Lifecycle screens."""
        partner = self.env["res.partner"].create(vals)
        product = self.env["product.product"].create(
            {"name": "Screens tour product", "type": "service", "list_price": 60.0}
        )
        today = fields.Date.context_today(partner)
        self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "state": "sale",
                "date_order": datetime.combine(
                    today - timedelta(days=days_ago), time(10)
                ),
                "order_line": [Command.create({"product_id": product.id})],
            }
        )
        self.env["crm.lifecycle.profile"]._refresh_partners(partner.ids, as_of=today)
        return partner


@tagged("post_install", "-at_install")
class TestPersonalDataTour(ScreensTourCase):
    def test_personal_data_tour(self):
        """PIPL on the customer's Lifecycle tab, in the browser: a sales
        manager downloads the customer's data, then anonymises the customer
        through the confirmation."""
        manager = new_test_user(
            self.env,
            login="pipl_tour_manager",
            name="PIPL Tour Manager",
            groups="sales_team.group_sale_manager",
        )
        customer = self._customer_with_order(
            {
                "name": "PIPL Tour Customer",
                "is_company": True,
                "customer_rank": 1,
                "email": "pipl.tour@example.com",
                "phone": "+86 21 5555 0101",
                "street": "1 Huaihai Road",
                "city": "Shanghai",
            }
        )
        contact = self.env["res.partner"].create(
            {
                "name": "PIPL Tour Contact",
                "parent_id": customer.id,
                "email": "pipl.contact@example.com",
            }
        )
        customer.message_post(body="Called PIPL Tour Customer at home")
        profile = customer.lifecycle_profile_id
        self.assertEqual(profile.order_count, 1)
        self.start_tour(
            "/odoo", "crm_lifecycle_personal_data_tour", login=manager.login
        )
        self.env.invalidate_all()
        for person in customer | contact:
            self.assertEqual(person.name, f"Anonymised customer {person.id}")
            self.assertFalse(person.email)
            self.assertTrue(person.lifecycle_no_marketing)
            # The manager's today, as the request saw it.
            self.assertEqual(
                person.lifecycle_anonymised_on,
                fields.Date.context_today(person.with_user(manager)),
            )
        self.assertFalse(customer.phone or customer.street or customer.city)
        # Nothing is left in the chatter that could name the customer: the
        # erased messages, and no tracking of the erasure itself (written
        # when the request commits, it would hold the old name and email).
        self.assertFalse(
            self.env["mail.message"].search(
                [
                    ("model", "=", "res.partner"),
                    ("res_id", "in", (customer | contact).ids),
                ]
            )
        )
        self.assertFalse(
            self.env["mail.tracking.value"]
            .sudo()
            .search([("old_value_char", "ilike", "PIPL Tour")])
        )
        # Nor a file: the export was made when downloaded, stored nowhere.
        self.assertFalse(
            self.env["ir.attachment"].search(
                [("res_model", "=", "res.partner"), ("res_id", "=", customer.id)]
            )
        )
        # The purchases and figures stay, without a name.
        self.assertEqual(customer.lifecycle_profile_id, profile)
        self.assertEqual(profile.order_count, 1)
        self.assertEqual(
            self.env["sale.order"].search_count([("partner_id", "=", customer.id)]), 1
        )


@tagged("post_install", "-at_install")
class TestCampaignTour(ScreensTourCase):
    def test_campaign_tour(self):
        """The campaign actions of the lifecycle list, in the browser, in the
        core addons' database (without Odoo's Email Marketing): they say what
        to install. With crm_lifecycle_mass_mailing, its own tour opens the
        mailing instead."""
        self.assertNotIn(
            "mailing.mailing",
            self.env,
            "This tour covers the database without Email Marketing; "
            "crm_lifecycle_mass_mailing's tour covers the one with it.",
        )
        manager = new_test_user(
            self.env,
            login="campaign_tour_manager",
            name="Campaign Tour Manager",
            groups="sales_team.group_sale_manager",
        )
        customers = self.env["res.partner"]
        for name in ("Campaign Tour A", "Campaign Tour B"):
            customers |= self._customer_with_order(
                {"name": name, "is_company": True, "user_id": manager.id}
            )
        self.assertEqual(len(customers.lifecycle_profile_id), 2)
        self.start_tour("/odoo", "crm_lifecycle_campaign_tour", login=manager.login)

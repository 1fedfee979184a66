from datetime import date, datetime, time, timedelta

from odoo import Command
from odoo.tests import TransactionCase, new_test_user

TODAY = date(2026, 6, 15)  # a Monday


class JourneyCommon(TransactionCase):
    """Customers with a sales history and journeys of the test's own; demo
    journeys stay drafts and demo profiles are removed, so that every
    assertion looks at the test's customers only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.company.journey_weekly_cap = 2
        cls.env["crm.journey"].search([]).write({"state": "draft"})
        cls.env["crm.lifecycle.profile"].search([]).unlink()
        cls.product = cls.env["product.product"].create(
            {
                "name": "Journey product",
                "type": "service",
                "list_price": 100.0,
                "taxes_id": [Command.clear()],
            }
        )
        cls.salesman = new_test_user(
            cls.env,
            login="journey_salesman",
            groups="sales_team.group_sale_salesman",
            name="Journey Salesman",
        )
        cls.other_salesman = new_test_user(
            cls.env,
            login="journey_salesman_b",
            groups="sales_team.group_sale_salesman",
            name="Journey Salesman B",
        )
        cls.manager = new_test_user(
            cls.env,
            login="journey_manager",
            groups="sales_team.group_sale_manager",
            name="Journey Manager",
        )
        cls.coupon_program = cls.env.ref("crm_journey.loyalty_program_journey_coupon")
        cls.coupon_template = cls.env.ref("crm_journey.mail_template_journey_coupon")
        cls.welcome_template = cls.env.ref("crm_journey.mail_template_journey_welcome")

    @classmethod
    def _customer(cls, name, days_ago=(), user=None, amount=100.0, **vals):
        partner = cls.env["res.partner"].create(
            {
                "name": name,
                "email": f"{name.lower().replace(' ', '.')}@example.com",
                "user_id": user.id if user else False,
                **vals,
            }
        )
        if days_ago:
            cls._orders(partner, days_ago, amount)
        return partner

    @classmethod
    def _orders(cls, partner, days_ago, amount=100.0, today=TODAY):
        return cls.env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "state": "sale",
                    "date_order": datetime.combine(
                        today - timedelta(days=days), time(10)
                    ),
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
                for days in days_ago
            ]
        )

    def _journey(self, trigger="days_since_order", steps=None, **vals):
        journey = self.env["crm.journey"].create(
            {
                "name": f"Test journey {trigger}",
                "trigger": trigger,
                "trigger_days": 90,
                "control_share": 0.0,
                "step_ids": [Command.create(step) for step in (steps or [])],
                **vals,
            }
        )
        journey.action_start()
        return journey

    def _night(self, day=TODAY, partners=None):
        """The lifecycle night then the journeys' night, for the test's
        customers."""
        partner_ids = (partners or self.partners).ids
        self.env["crm.lifecycle.profile"]._refresh_partners(partner_ids, as_of=day)
        steps = self.env["crm.journey.run"]._process_partners(partner_ids, day)
        journeys = self.env["crm.journey"].search([("state", "=", "running")])
        journeys.write({"last_run_on": day})
        self.env.invalidate_all()
        return steps

    def _runs(self, journey, partner=None):
        domain = [("journey_id", "=", journey.id)]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        return self.env["crm.journey.participant"].search(domain)

    def _mails_to(self, partner):
        return self.env["mail.mail"].search([("recipient_ids", "in", partner.ids)])

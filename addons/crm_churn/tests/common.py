from datetime import date, datetime, time, timedelta

from odoo import Command
from odoo.tests import TransactionCase, new_test_user

TODAY = date(2026, 6, 15)  # a Monday


class ChurnCommon(TransactionCase):
    """Customers with a sales history, scored on chosen days.

    Demo data may be installed: every assertion looks at the test's own
    customers, the cap is lifted and the demo win-back journeys are stopped.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.company.write(
            {
                "churn_alert_cap": 100000,
                "churn_control_share": 0.0,
                "churn_auto_send": False,
            }
        )
        cls.env["crm.journey"].search([("trigger", "=", "churn_alert")]).write(
            {"state": "stopped"}
        )
        # Demo customers would compete for the nightly cap and fill the runs:
        # the tests score their own customers only.
        cls.env["crm.churn.alert"].search([]).unlink()
        cls.env["crm.churn.risk"].search([]).unlink()
        cls.env["crm.lifecycle.profile"].search([]).unlink()
        cls.product = cls.env["product.product"].create(
            {
                "name": "Churn product",
                "type": "service",
                "list_price": 100.0,
                "taxes_id": [Command.clear()],
            }
        )
        cls.team = cls.env["crm.team"].create({"name": "Churn Team A"})
        cls.other_team = cls.env["crm.team"].create({"name": "Churn Team B"})
        cls.leader = new_test_user(
            cls.env,
            login="churn_leader",
            groups="sales_team.group_sale_salesman_all_leads",
            name="Team Leader",
        )
        cls.team.user_id = cls.leader
        cls.salesman = new_test_user(
            cls.env,
            login="churn_salesman",
            groups="sales_team.group_sale_salesman",
            name="Salesman A",
        )
        cls.other_salesman = new_test_user(
            cls.env,
            login="churn_salesman_b",
            groups="sales_team.group_sale_salesman",
            name="Salesman B",
        )
        cls.team.member_ids = cls.salesman
        cls.other_team.member_ids = cls.other_salesman
        cls.manager = new_test_user(
            cls.env,
            login="churn_manager",
            groups="sales_team.group_sale_manager",
            name="Sales Manager",
        )

    @classmethod
    def _customer(cls, name, user=None, monthly_until=None, months=18, amount=100.0):
        """A company customer who ordered every 30 days for ``months`` months,
        the last order ``monthly_until`` days before TODAY."""
        partner = cls.env["res.partner"].create(
            {"name": name, "is_company": True, "user_id": user.id if user else False}
        )
        if monthly_until is not None:
            days = [monthly_until + 30 * i for i in range(months)]
            cls._orders(partner, days, amount)
        return partner

    @classmethod
    def _orders(cls, partner, days_ago, amount=100.0, today=TODAY, state="sale"):
        orders = cls.env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "state": state,
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
        return orders

    @classmethod
    def _winback_journey(cls, name, offer=None, level="high", domain="[]", **kw):
        """A running journey a churn alert triggers, as a manager makes one:
        the salesperson's call, then the win-back offer ``offer`` (the
        alert-offer step's values) when given."""
        steps = [
            Command.create(
                {
                    "sequence": 10,
                    "kind": "activity",
                    "activity_summary": kw.pop("activity_summary", False),
                }
            )
        ]
        if offer is not None:
            steps.append(
                Command.create({"sequence": 20, "kind": "alert_offer", **offer})
            )
        journey = cls.env["crm.journey"].create(
            {
                "name": name,
                "company_id": cls.env.company.id,
                "trigger": "churn_alert",
                "trigger_churn_level": level,
                "partner_domain": domain,
                "control_share": 0.0,
                "step_ids": steps,
                **kw,
            }
        )
        journey.action_start()
        return journey

    def _score(self, day=TODAY, partners=None):
        """Lifecycle then churn, as the two nightly crons do."""
        Profile = self.env["crm.lifecycle.profile"]
        partner_ids = (partners or self.partners).ids
        Profile._refresh_partners(partner_ids, as_of=day)
        return self.env["crm.churn.risk"]._score_partners(partner_ids, day)

    def _run(self, day=TODAY, partners=None):
        """A whole churn run on ``day`` after refreshing the test customers."""
        partner_ids = (partners or self.partners).ids
        self.env["crm.lifecycle.profile"]._refresh_partners(partner_ids, as_of=day)
        run = self.env["crm.churn.run"].create({"as_of": day})
        while run.state == "running":
            run._process_batch()
        return run

    def _risk(self, partner):
        return self.env["crm.churn.risk"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id)]
        )

    def _alerts(self, partner):
        return self.env["crm.churn.alert"].search([("partner_id", "=", partner.id)])

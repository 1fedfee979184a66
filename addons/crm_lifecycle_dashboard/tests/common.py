from datetime import date, datetime, time, timedelta

from odoo import Command
from odoo.tests import TransactionCase, new_test_user

TODAY = date(2026, 6, 15)


def make_company(env, name):
    """A company of the test's own: the KPIs are per company, so demo
    customers and orders of the main company never mix in."""
    return env["res.company"].create({"name": name})


def make_orders(env, company, partner, days_ago, product, amount=100.0, today=TODAY):
    """Confirmed orders of ``partner`` in ``company``, ``days_ago`` days
    before ``today`` (as the churn tests make them)."""
    return env["sale.order"].create(
        [
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "state": "sale",
                "date_order": datetime.combine(today - timedelta(days=days), time(10)),
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
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


def make_program(env, company):
    """A ledger-managed loyalty program of ``company`` (points expire after
    12 months): its card holders are the company's members."""
    return env["loyalty.program"].create(
        {
            "name": f"Members {company.name}",
            "program_type": "loyalty",
            "trigger": "auto",
            "applies_on": "both",
            "company_id": company.id,
            "crm_expiry_policy": "months",
            "crm_expiry_months": 12,
            "rule_ids": [
                Command.create({"reward_point_mode": "money", "reward_point_amount": 1})
            ],
        }
    )


class DashboardCommon(TransactionCase):
    """A company of its own with a sales manager, a product and a ledger
    program; customers and orders are made by each test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = make_company(cls.env, "KPI Retail Co")
        cls.product = cls.env["product.product"].create(
            {
                "name": "KPI product",
                "type": "service",
                "list_price": 100.0,
                "taxes_id": [Command.clear()],
            }
        )
        cls.program = make_program(cls.env, cls.company)
        cls.manager = new_test_user(
            cls.env,
            login="kpi_manager",
            name="KPI Manager",
            groups="sales_team.group_sale_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.Kpi = cls.env["crm.lifecycle.kpi"]

    @classmethod
    def _customer(cls, name, days_ago=(), amount=100.0):
        partner = cls.env["res.partner"].create({"name": name, "is_company": True})
        if days_ago:
            make_orders(cls.env, cls.company, partner, days_ago, cls.product, amount)
        return partner

    def _refresh(self, partners, day=TODAY):
        self.env["crm.lifecycle.profile"]._refresh_partners(partners.ids, as_of=day)

    def _card(self, partner):
        return self.env["loyalty.card"].create(
            {"program_id": self.program.id, "partner_id": partner.id, "points": 0}
        )

    def _snapshot(self, day=TODAY, company=None):
        return self.Kpi._compute_companies(company or self.company, day)

    def _activities(self, snapshot=None):
        domain = [("res_model", "=", "crm.lifecycle.kpi")]
        if snapshot is not None:
            domain.append(("res_id", "in", snapshot.ids))
        else:
            domain.append(
                (
                    "res_id",
                    "in",
                    self.Kpi.search([("company_id", "=", self.company.id)]).ids,
                )
            )
        return self.env["mail.activity"].search(domain)

from datetime import date, timedelta

from odoo import Command
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

TODAY = date(2026, 6, 15)


@tagged("post_install", "-at_install")
class TestStageAutomation(TransactionCase):
    """An automation rule "On creation" of a stage stay, as a manager would
    write it in Settings > Automation Rules, reacts to the changes the
    nightly batches write in bulk: once per change, within its domain."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Automated customer", "is_company": True}
        )
        History = cls.env["ir.model"]._get("crm.lifecycle.stage.history")
        cls.rule = cls.env["base.automation"].create(
            {
                "name": "Call customers entering At risk",
                "model_id": History.id,
                "trigger": "on_create",
                "filter_domain": "[('stage', '=', 'at_risk')]",
                "action_server_ids": [
                    Command.create(
                        {
                            "name": "Note the move",
                            "model_id": History.id,
                            "state": "code",
                            "code": (
                                "for stay in records:\n"
                                "    partner = stay.partner_id\n"
                                "    partner.write({'comment': (partner.comment or '')"
                                " + stay.previous_stage + '>' + stay.stage + ';'})"
                            ),
                        }
                    )
                ],
            }
        )

    def _orders(self, days_ago):
        """Confirmed orders of the customer, ``days_ago`` days before TODAY."""
        self.env.flush_all()
        # sale_stock (installed with Point of Sale) requires a picking policy.
        stock = "picking_policy" in self.env["sale.order"]._fields
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO sale_order (name, partner_id, partner_invoice_id,
                                        partner_shipping_id, company_id, state,
                                        date_order, amount_untaxed, currency_rate
                                        %(policy_column)s)
                SELECT 'AUTO-' || d, %(partner)s, %(partner)s, %(partner)s,
                       %(company)s, 'sale', %(today)s::date - d, 100, 1
                       %(policy)s
                  FROM unnest(%(days)s::int[]) AS d
                """,
                partner=self.customer.id,
                company=self.env.company.id,
                today=TODAY,
                days=list(days_ago),
                policy_column=SQL(", picking_policy") if stock else SQL(),
                policy=SQL(", 'direct'") if stock else SQL(),
            )
        )

    def _night(self, day):
        """The nightly path: profiles recomputed in bulk, stays written by
        one statement."""
        self.env["crm.lifecycle.profile"]._refresh_partners(
            self.customer.ids, as_of=day
        )
        self.customer.invalidate_recordset(["comment"])

    def test_the_nightly_move_into_at_risk_fires_the_rule_once(self):
        # Every 30 days for a year, the last order 20 days before TODAY.
        self._orders(range(20, 420, 30))
        self._night(TODAY)
        self.assertEqual(self.customer.lifecycle_stage, "loyal")
        self.assertFalse(self.customer.comment, "not within the rule's domain")
        # 60 days without an order: At risk, the rule fires.
        self._night(TODAY + timedelta(days=40))
        self.assertEqual(self.customer.lifecycle_stage, "at_risk")
        self.assertEqual(self.customer.comment, "<p>loyal&gt;at_risk;</p>")
        # The next nights change nothing: the rule does not fire again.
        self._night(TODAY + timedelta(days=41))
        self._night(TODAY + timedelta(days=42))
        self.assertEqual(self.customer.comment, "<p>loyal&gt;at_risk;</p>")
        # Dormant is outside its domain.
        self._night(TODAY + timedelta(days=200))
        self.assertEqual(self.customer.lifecycle_stage, "dormant")
        self.assertEqual(self.customer.comment, "<p>loyal&gt;at_risk;</p>")

    def test_an_archived_rule_does_not_fire(self):
        self.rule.active = False
        self._orders(range(60, 420, 30))
        self._night(TODAY)
        self.assertEqual(self.customer.lifecycle_stage, "at_risk")
        self.assertFalse(self.customer.comment)


@tagged("post_install", "-at_install")
class TestPartnerStageAutomation(TestStageAutomation):
    """A rule "On update" of the customer with the trigger field
    *Lifecycle stage*: the nightly bulk write of the partner's stage fires
    it once per change."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule.active = False
        Partner = cls.env["ir.model"]._get("res.partner")
        stage_field = cls.env["ir.model.fields"]._get("res.partner", "lifecycle_stage")
        cls.partner_rule = cls.env["base.automation"].create(
            {
                "name": "Customers entering At risk",
                "model_id": Partner.id,
                "trigger": "on_create_or_write",
                "trigger_field_ids": [Command.set(stage_field.ids)],
                "filter_domain": "[('lifecycle_stage', '=', 'at_risk')]",
                "action_server_ids": [
                    Command.create(
                        {
                            "name": "Note the move",
                            "model_id": Partner.id,
                            "state": "code",
                            "code": (
                                "for partner in records:\n"
                                "    partner.write({'comment': (partner.comment or '')"
                                " + 'at_risk;'})"
                            ),
                        }
                    )
                ],
            }
        )

    def test_the_nightly_move_into_at_risk_fires_the_rule_once(self):
        self._orders(range(20, 420, 30))
        self._night(TODAY)
        self.assertEqual(self.customer.lifecycle_stage, "loyal")
        self.assertFalse(self.customer.comment)
        self._night(TODAY + timedelta(days=40))
        self.assertEqual(self.customer.lifecycle_stage, "at_risk")
        self.assertEqual(self.customer.comment, "<p>at_risk;</p>")
        self._night(TODAY + timedelta(days=41))
        self.assertEqual(self.customer.comment, "<p>at_risk;</p>")
        self._night(TODAY + timedelta(days=200))
        self.assertEqual(self.customer.lifecycle_stage, "dormant")
        self.assertEqual(self.customer.comment, "<p>at_risk;</p>")

    def test_an_archived_rule_does_not_fire(self):
        self.partner_rule.active = False
        self._orders(range(60, 420, 30))
        self._night(TODAY)
        self.assertEqual(self.customer.lifecycle_stage, "at_risk")
        self.assertFalse(self.customer.comment)

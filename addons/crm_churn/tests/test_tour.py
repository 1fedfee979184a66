from datetime import datetime, time, timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestChurnTour(HttpCase):
    def _alert(self, partner, level, score, value):
        return self.env["crm.churn.alert"]._open_for(
            [
                {
                    "partner_id": partner.id,
                    "company_id": self.env.company.id,
                    "score": score,
                    "level": level,
                    "reason_data": [
                        [
                            "overdue",
                            {
                                "since": str(fields.Date.today() - timedelta(days=120)),
                                "gap": 30,
                            },
                        ]
                    ],
                    "historic_clv": 1000.0,
                    "value_at_risk": value,
                }
            ],
            fields.Date.today(),
        )

    def _customer(self, name, user):
        return self.env["res.partner"].create(
            {"name": name, "is_company": True, "user_id": user.id}
        )

    def test_churn_tour(self):
        # The demo win-back journeys would word the activity their own way.
        self.env["crm.journey"].search([("trigger", "=", "churn_alert")]).write(
            {"state": "stopped"}
        )
        salesman = new_test_user(
            self.env,
            login="churn_tour_salesman",
            name="Churn Tour Salesman",
            groups="sales_team.group_sale_salesman",
        )
        partner = self._customer("Churn Tour Customer", salesman)
        alert = self._alert(partner, "critical", 85, 1000.0)
        self.assertEqual(alert.stage, "new")
        self.assertEqual(alert.user_id, salesman)
        self.assertEqual(len(alert.activity_ids), 1)
        self.assertEqual(alert.activity_ids.user_id, salesman)
        # Worth more, but only high: the critical alert comes first.
        self._alert(self._customer("Churn Tour Bigger", salesman), "high", 70, 9000.0)
        # An offer waiting for approval when the customer ordered again.
        returning = self._customer("Churn Tour Returning", salesman)
        came_back = self._alert(returning, "high", 65, 500.0)
        came_back._write_internal({"offer_type": "coupon", "offer_state": "to_approve"})
        order = self.env["sale.order"].create(
            {
                "partner_id": returning.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.env["product.product"]
                            .create({"name": "Churn tour product", "list_price": 10})
                            .id
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        self.env["crm.churn.alert"]._detect_won_back(returning.ids)
        self.assertEqual(came_back.stage, "won_back")
        self.assertEqual(came_back.offer_state, "not_sent")
        # Scores: a savable customer and one who left long ago.
        lost = self._customer("Churn Tour Long Gone", salesman)
        self.env["crm.churn.risk"].create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": self.env.company.id,
                    "score": 85,
                    "level": "critical",
                    "yearly_value": 1200.0,
                    "value_at_risk": 1020.0,
                    "lost": False,
                },
                {
                    "partner_id": lost.id,
                    "company_id": self.env.company.id,
                    "score": 100,
                    "level": "critical",
                    "yearly_value": 5000.0,
                    "value_at_risk": 0.0,
                    "lost": True,
                },
            ]
        )

        self.start_tour("/odoo", "crm_churn_tour", login="churn_tour_salesman")

        self.assertEqual(alert.stage, "lost")
        self.assertEqual(
            alert.lost_reason_id, self.env.ref("crm_churn.crm_churn_reason_price")
        )
        self.assertEqual(alert.lost_note, "Moved to a cheaper supplier")
        self.assertEqual(alert.closed_on, fields.Date.today())
        self.assertFalse(alert.activity_ids)
        call_logs = alert.message_ids.filtered(
            lambda m: "the customer finds our prices too high" in str(m.body or "")
        )
        self.assertEqual(len(call_logs), 1)
        self.assertEqual(call_logs.author_id, salesman.partner_id)
        self.assertTrue(
            self.env["crm.churn.export"].search([("create_uid", "=", salesman.id)]),
            "the export ran",
        )

    def test_churn_admin_tour(self):
        """Settings and analysis screens as the admin sees them first."""
        customer = self.env["res.partner"].create(
            {"name": "Churn Admin Tour Customer", "is_company": True}
        )
        product = self.env["product.product"].create(
            {"name": "Churn admin tour product", "list_price": 10}
        )
        today = fields.Date.today()
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        for day in (first, today):
            self.env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "state": "sale",
                    "date_order": datetime.combine(day, time(10)),
                    "order_line": [Command.create({"product_id": product.id})],
                }
            )
        alert = self.env["crm.churn.alert"]._open_for(
            [
                {
                    "partner_id": customer.id,
                    "company_id": self.env.company.id,
                    "score": 70,
                    "level": "high",
                    "reason_data": [],
                }
            ],
            today,
        )
        alert._write_internal({"offer_type": "coupon", "offer_state": "sent"})
        self.assertEqual(alert.offer_group, "offer")
        self.start_tour("/odoo", "crm_churn_admin_tour", login="admin")


@tagged("post_install", "-at_install")
class TestBacktestTour(HttpCase):
    def test_model_quality_screen(self):
        """A sales manager reads how good the score was, in words and by
        tenths, and sets the alert threshold from it."""
        company = self.env.company
        company.write(
            {
                "churn_medium_threshold": 40,
                "churn_high_threshold": 60,
                "churn_critical_threshold": 80,
            }
        )
        self.env["crm.churn.backtest"].sudo().create(
            {
                "company_id": company.id,
                "as_of": fields.Date.today() - timedelta(days=180),
                "fit_day": fields.Date.today() - timedelta(days=360),
                "horizon_days": 180,
                "state": "done",
                "customer_count": 1000,
                "lost_count": 300,
                "base_rate": 30.0,
                "auc_score": 0.81,
                "auc_prob_alive": 0.74,
                "auc_expected": 0.77,
                "auc_current": 0.70,
                "auc_learned": 0.74,
                "auc_purchase_model": 0.77,
                "weights_learned": {"stage": 60.0, "no_purchase_90": 40.0},
                "weights_choice": "purchase_model",
                "weights_adopted": True,
                "top10_lift": 2.5,
                "top10_capture": 25.0,
                "top20_lift": 2.0,
                "top20_capture": 40.0,
                "alert_threshold": 60,
                "alert_count": 120,
                "alert_precision": 70.0,
                "alert_lead_days": 150,
                "threshold_top10": 72,
                "flap_rate": 0.42,
                "flap_data": {
                    "at_risk": {"moves": 180, "customers": 150},
                    "loyal": {"moves": 120, "customers": 110},
                },
                "bin_ids": [
                    Command.create(
                        {
                            "bin": tenth,
                            "count": 100,
                            "predicted": 10.0 * tenth - 5,
                            "observed": 10.0 * tenth - 4,
                        }
                    )
                    for tenth in range(1, 11)
                ],
            }
        )
        manager = new_test_user(
            self.env,
            login="churn_backtest_manager",
            name="Churn Backtest Manager",
            groups="sales_team.group_sale_manager",
        )
        self.start_tour(
            "/odoo/action-crm_churn.crm_churn_backtest_action",
            "crm_churn_backtest_tour",
            login=manager.login,
        )
        self.assertEqual(company.churn_high_threshold, 72)
        self.assertEqual(company.churn_critical_threshold, 80)

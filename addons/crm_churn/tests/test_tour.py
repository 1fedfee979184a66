from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestChurnTour(HttpCase):
    def test_churn_tour(self):
        # The demo playbooks would give the activity their own summary.
        self.env["crm.churn.playbook"].search([]).write({"active": False})
        salesman = new_test_user(
            self.env,
            login="churn_tour_salesman",
            name="Churn Tour Salesman",
            groups="sales_team.group_sale_salesman",
        )
        partner = self.env["res.partner"].create(
            {
                "name": "Churn Tour Customer",
                "is_company": True,
                "user_id": salesman.id,
            }
        )
        alert = self.env["crm.churn.alert"]._open_for(
            [
                {
                    "partner_id": partner.id,
                    "company_id": self.env.company.id,
                    "score": 85,
                    "level": "critical",
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
                }
            ],
            fields.Date.today(),
        )
        self.assertEqual(alert.stage, "new")
        self.assertEqual(alert.user_id, salesman)
        self.assertEqual(len(alert.activity_ids), 1)
        self.assertEqual(alert.activity_ids.user_id, salesman)

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

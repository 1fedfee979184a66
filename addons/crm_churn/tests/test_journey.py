from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .common import TODAY, ChurnCommon


@tagged("post_install", "-at_install")
class TestChurnJourney(ChurnCommon):
    def test_a_journey_on_the_rising_risk(self):
        """A journey with the trigger "churn risk rises into a level" takes
        the customers whose level rose tonight, once."""
        silent = self._customer("Journey Silent", self.salesman, monthly_until=130)
        regular = self._customer("Journey Regular", self.salesman, monthly_until=5)
        partners = silent | regular
        self.env["crm.journey"].search([]).write({"state": "draft"})
        journey = self.env["crm.journey"].create(
            {
                "name": "Call the customers at risk",
                "trigger": "churn_level",
                "trigger_churn_level": "high",
                "control_share": 0.0,
                "step_ids": [
                    Command.create(
                        {
                            "kind": "activity",
                            "activity_type_id": self.env.ref(
                                "mail.mail_activity_data_call"
                            ).id,
                            "activity_summary": "Risk rising: call",
                        }
                    )
                ],
            }
        )
        journey.action_start()
        Run = self.env["crm.journey.run"]
        self._score(TODAY, partners)
        risk = self.env["crm.churn.risk"].search([("partner_id", "=", silent.id)])
        self.assertIn(risk.level, ("high", "critical"))
        Run._process_partners(partners.ids, TODAY)
        runs = self.env["crm.journey.participant"].search(
            [("journey_id", "=", journey.id)]
        )
        self.assertEqual(runs.partner_id, silent)
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", silent.id)]
        )
        self.assertEqual(activity.summary, "Risk rising: call")
        self.assertEqual(activity.user_id, self.salesman)
        # The next night the level did not rise again: nobody enters.
        journey.last_run_on = TODAY
        self._score(TODAY + timedelta(days=1), partners)
        Run._process_partners(partners.ids, TODAY + timedelta(days=1))
        self.assertEqual(
            self.env["crm.journey.participant"].search_count(
                [("journey_id", "=", journey.id)]
            ),
            1,
        )
        # The journeys wait for tonight's scores.
        self.assertIn("crm.churn.run", Run._batch_wait_for)

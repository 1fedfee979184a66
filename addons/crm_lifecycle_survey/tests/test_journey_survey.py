from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import SurveyCommon


@tagged("post_install", "-at_install")
class TestJourneySurvey(SurveyCommon):
    """The survey invitation step: the survey's own invitation (a response
    with its personal link), emailed with the journeys' consent and weekly
    cap; answering it through the link records the answer for the
    journey's company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.willing = cls._customer("Survey Willing", (30,), user=cls.salesman)
        cls.blacklisted = cls._customer("Survey Blacklisted", (30,))
        cls.no_marketing = cls._customer("Survey No Marketing", (30,))
        cls.env["mail.blacklist"]._add(cls.blacklisted.email)
        cls.no_marketing.lifecycle_no_marketing = True
        cls.partners = cls.willing | cls.blacklisted | cls.no_marketing

    def _survey_journey(self, survey=None, **vals):
        return self._journey(
            "days_since_order",
            [
                {
                    "sequence": 10,
                    "kind": "survey",
                    "survey_id": (survey or self.nps_survey).id,
                }
            ],
            trigger_days=30,
            period_days=180,
            **vals,
        )

    def _invitations(self, partner):
        return self.env["survey.user_input"].search(
            [("partner_id", "=", partner.id), ("survey_id", "=", self.nps_survey.id)]
        )

    def test_survey_step_respects_consent(self):
        journey = self._survey_journey()
        self._night()
        invitation = self._invitations(self.willing)
        self.assertEqual(len(invitation), 1)
        self.assertEqual(invitation.crm_company_id, self.company)
        self.assertTrue(invitation.deadline)
        mail = self._mails_to(self.willing)
        self.assertEqual(len(mail), 1)
        self.assertIn(invitation.access_token, mail.body_html)
        # The journeys' unsubscribe line.
        self.assertIn("unsubscribe", mail.body_html.lower())
        for partner in self.blacklisted | self.no_marketing:
            self.assertFalse(self._invitations(partner))
            self.assertFalse(self._mails_to(partner))
        step = journey.step_ids
        self.assertEqual(step.reached_count, 1)
        # The invitation counts in the weekly cap like any marketing email.
        trace = self.env["crm.journey.trace"].search(
            [("step_id", "=", step.id), ("partner_id", "=", self.willing.id)]
        )
        self.assertTrue(trace.message_sent)

    def test_answering_the_invitation_records_it(self):
        self._survey_journey()
        self._night()
        answer = self._complete(self._invitations(self.willing), 6, "Too slow")
        self.assertEqual(answer.company_id, self.company)
        self.assertEqual(answer.category, "detractor")
        self.assertEqual(self._activities(self.willing).user_id, self.salesman)

    def test_the_weekly_cap_holds_the_invitation(self):
        self.company.journey_weekly_cap = 1
        self.env["crm.journey.trace"].create(
            {
                "participant_id": self.env["crm.journey.participant"]
                .create(
                    {
                        "journey_id": self._survey_journey(name="Earlier").id,
                        "partner_id": self.willing.id,
                        "company_id": self.company.id,
                        "entered_on": "2026-06-14",
                        "state": "done",
                    }
                )
                .id,
                "partner_id": self.willing.id,
                "company_id": self.company.id,
                "date": "2026-06-14",
                "message_sent": True,
            }
        )
        journey = self._survey_journey()
        self._night()
        self.assertFalse(self._invitations(self.willing))
        run = self._runs(journey, self.willing)
        self.assertEqual(run.next_date.isoformat(), "2026-06-16")

    def test_a_survey_step_needs_a_feedback_survey(self):
        other = self.env["survey.survey"].create(
            {
                "title": "Not feedback",
                "question_and_page_ids": [
                    Command.create({"title": "Colour?", "question_type": "char_box"})
                ],
            }
        )
        with self.assertRaises(ValidationError):
            self._survey_journey(survey=other)
        with self.assertRaises(ValidationError):
            other.crm_kind = "nps"

    def test_the_ready_journeys_are_drafts(self):
        nps = self.env.ref("crm_lifecycle_survey.journey_nps_30_days")
        csat = self.env.ref("crm_lifecycle_survey.journey_csat_7_days")
        self.assertEqual((nps.state, csat.state), ("draft", "draft"))
        self.assertEqual(
            (nps.trigger, nps.trigger_days, nps.period_days),
            ("days_since_order", 30, 180),
        )
        self.assertEqual(nps.step_ids.survey_id, self.nps_survey)
        self.assertEqual(csat.step_ids.survey_id, self.csat_survey)

from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import format_date

from odoo.addons.crm_churn.tests.common import TODAY, ChurnCommon
from odoo.addons.crm_lifecycle_survey.tests.common import complete, invite


@tagged("post_install", "-at_install")
class TestNpsSignals(ChurnCommon):
    """NPS answers, given through the survey as the customer gives them,
    scored by the churn run."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.survey = cls.env.ref("crm_lifecycle_survey.survey_nps")
        # A regular customer: the purchase signals say little, the answers
        # speak.
        cls.regular = cls._customer("NPS regular", cls.salesman, monthly_until=5)
        cls.partners = cls.regular

    def _answer(self, partner, score, day, why=None):
        with freeze_time(day):
            return complete(
                self.env, invite(self.env, partner, self.survey), score, why
            )

    def _facts(self, day):
        self.env["crm.lifecycle.profile"]._refresh_partners(
            self.regular.ids, as_of=TODAY
        )
        [fact] = self.env["crm.churn.risk"]._gather(self.regular.ids, day)
        return fact

    def _risk(self, partner):
        return self.env["crm.churn.risk"].search([("partner_id", "=", partner.id)])

    def test_a_detractor_after_a_promoter_is_two_signals_with_words(self):
        self._answer(self.regular, 9, TODAY - timedelta(days=40), "Great shop")
        answer = self._answer(
            self.regular, 3, TODAY - timedelta(days=10), "delivery was late"
        )
        self.assertEqual(answer.category, "detractor")
        self._run(TODAY)
        risk = self._risk(self.regular)
        self.assertAlmostEqual(risk.strengths["nps_detractor"], 0.75)
        self.assertAlmostEqual(risk.strengths["nps_falling"], 1.0)
        reasons = dict(risk.reason_data)
        self.assertIn("nps_detractor", reasons)
        day = TODAY - timedelta(days=10)
        self.assertEqual(
            risk._reason_text("nps_detractor", reasons["nps_detractor"]),
            f"scored 3 out of 10 on {format_date(self.env, day)}: delivery was late",
        )
        self.assertIn("scored 3 out of 10", risk.reasons)
        self.assertEqual(
            risk._reason_text("nps_falling", {"previous": 9, "score": 3}),
            "NPS answer fell from 9 to 3 out of 10",
        )
        # The answers raise the score: without their weight it is lower.
        with_nps = risk.score_exact
        self.env.ref("crm_churn_survey.crm_churn_signal_nps_detractor").weight = 0
        self.env.ref("crm_churn_survey.crm_churn_signal_nps_falling").weight = 0
        self._run(TODAY + timedelta(days=1))
        self.assertLess(self._risk(self.regular).score_exact, with_nps)

    def test_only_what_was_known_on_the_day_and_only_while_recent(self):
        self._answer(self.regular, 9, TODAY - timedelta(days=40))
        self._answer(self.regular, 2, TODAY - timedelta(days=10))
        # Replayed 20 days ago (a backtest's day): the promoter only.
        fact = self._facts(TODAY - timedelta(days=20))
        self.assertEqual(fact["extra_signals"]["nps_detractor"][0], 0.0)
        self.assertNotIn("nps_falling", fact["extra_signals"])
        # Half a year after the last answer, the answers say nothing more.
        fact = self._facts(TODAY + timedelta(days=181))
        self.assertNotIn("extra_signals", fact)
        # Satisfaction (CSAT) answers are not NPS answers.
        csat = self.env.ref("crm_lifecycle_survey.survey_csat")
        with freeze_time(TODAY):
            complete(self.env, invite(self.env, self.regular, csat), 1)
        fact = self._facts(TODAY)
        self.assertEqual(fact["extra_signals"]["nps_detractor"][1]["score"], 2)

    def test_another_companys_answer_is_not_this_companys_signal(self):
        other = self.env["res.company"].create({"name": "NPS Co B"})
        with freeze_time(TODAY - timedelta(days=5)):
            complete(
                self.env, invite(self.env, self.regular, self.survey, company=other), 0
            )
        fact = self._facts(TODAY)
        self.assertEqual(fact["company_id"], self.company.id)
        self.assertNotIn("extra_signals", fact)

    def test_learned_weights_keep_the_nps_weights(self):
        self.company.write(
            {
                "churn_weights_source": "learned",
                "churn_learned_weights": {"overdue": 30.0},
            }
        )
        weights = self.env["crm.churn.risk"]._company_weights(self.company)
        self.assertEqual(weights["overdue"], 30.0)
        self.assertEqual(weights["nps_detractor"], 10.0)
        self.assertEqual(weights["nps_falling"], 5.0)
        signal = self.env.ref("crm_churn_survey.crm_churn_signal_nps_detractor")
        signal.weight = 3
        signal.action_reset_weights()
        self.assertEqual((signal.weight, signal.default_weight), (10.0, 10.0))

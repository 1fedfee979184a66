from datetime import date

from odoo.tests import freeze_time, new_test_user, tagged

from .common import SurveyCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-06-15 10:00:00")  # a Monday
class TestNpsAnswer(SurveyCommon):
    """A completed feedback survey becomes a CRM answer with the customer's
    figures of the day, updates the customer's NPS in the company that asked,
    earns the survey points once and sends the salesperson to an unhappy
    customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Nps Customer", user=cls.salesman)
        cls.company_b = cls.env["res.company"].create({"name": "NPS Company B"})

    def test_promoter_answer_and_the_customer_in_its_company_only(self):
        # The customer answered company B's survey first: a detractor there.
        answer_b = self._answer(self.customer, 3, company=self.company_b)
        self.assertEqual(answer_b.company_id, self.company_b)
        answer = self._answer(self.customer, 9, "Fast delivery")
        self.assertRecordValues(
            answer,
            [
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "survey_id": self.nps_survey.id,
                    "kind": "nps",
                    "score": 9,
                    "category": "promoter",
                    "nps_value": 100,
                    "unhappy": False,
                    "comment": "Fast delivery",
                    "date": date(2026, 6, 15),
                    "user_id": self.salesman.id,
                }
            ],
        )
        in_a = self.customer.with_company(self.company)
        self.assertEqual(
            (in_a.nps_last_score, in_a.nps_category, in_a.nps_last_date),
            (9, "promoter", date(2026, 6, 15)),
        )
        in_b = self.customer.with_company(self.company_b)
        self.assertEqual((in_b.nps_last_score, in_b.nps_category), (3, "detractor"))
        # Searchable, per company: a journey's audience or a list filter.
        Partner = self.env["res.partner"]
        self.assertIn(
            self.customer,
            Partner.with_company(self.company).search(
                [("nps_category", "=", "promoter")]
            ),
        )
        self.assertNotIn(
            self.customer,
            Partner.with_company(self.company_b).search(
                [("nps_category", "=", "promoter")]
            ),
        )
        self.assertEqual(self.customer.nps_answer_count, 2)

    def test_categories_and_values(self):
        for score, category, value in (
            (10, "promoter", 100),
            (8, "passive", 0),
            (7, "passive", 0),
            (6, "detractor", -100),
            (0, "detractor", -100),
        ):
            partner = self._customer(f"Nps Score {score}")
            answer = self._answer(partner, score)
            self.assertEqual((answer.category, answer.nps_value), (category, value))
            self.assertEqual(partner.nps_last_score, score)

    def test_the_report_figure_is_the_nps(self):
        scores = (10, 9, 8, 2)  # 2 promoters, 1 passive, 1 detractor
        partners = self.env["res.partner"]
        for index, score in enumerate(scores):
            partner = self._customer(f"Nps Report {index}")
            partners |= partner
            self._answer(partner, score)
        [(nps, count)] = self.Answer._read_group(
            [("partner_id", "in", partners.ids), ("kind", "=", "nps")],
            [],
            ["nps_value:avg", "__count"],
        )
        self.assertEqual((nps, count), (25.0, 4))

    def test_points_once_per_answer(self):
        user_input = self._invite(self.customer)
        answer = self._complete(user_input, 10)
        self.assertEqual(answer.points, self.behaviour.points)
        self.assertEqual(len(self._survey_entries(self.customer)), 1)
        # The hook called again (a second submit, a retry): nothing doubles.
        user_input.sudo()._mark_done()
        self.Answer._record(user_input)
        self.assertEqual(
            self.Answer.search_count([("user_input_id", "=", user_input.id)]), 1
        )
        self.assertEqual(len(self._survey_entries(self.customer)), 1)
        # The behaviour's cap (once a month): a second survey this month is
        # kept, without points.
        csat = self._answer(self.customer, 5, survey=self.csat_survey)
        self.assertTrue(csat)
        self.assertEqual(csat.points, 0)
        self.assertEqual(len(self._survey_entries(self.customer)), 1)

    def test_no_points_program_no_points(self):
        self.program.active = False
        answer = self._answer(self.customer, 10)
        self.assertEqual(answer.points, 0)
        self.assertFalse(self._survey_entries(self.customer))

    def test_a_detractor_gets_a_call_today_in_the_salespersons_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.salesman.lang = "zh_CN"
        answer = self._answer(self.customer, 3, "Delivery was late")
        self.assertTrue(answer.unhappy)
        activity = self._activities(self.customer)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(activity.date_deadline, date(2026, 6, 15))
        self.assertIn("3", activity.summary)
        self.assertIn("Delivery was late", str(activity.note))
        # Worded for the salesperson, not the customer or the server.
        self.assertIn("客户不满意", activity.summary)

    def test_the_tier_account_manager_gets_the_call(self):
        manager = new_test_user(
            self.env,
            login="nps_account_manager",
            name="Nps Account Manager",
            groups="sales_team.group_sale_salesman",
        )
        self.customer.loyalty_account_manager_id = manager
        self._answer(self.customer, 0)
        activity = self._activities(self.customer)
        self.assertEqual(activity.user_id, manager)
        self.assertEqual(activity.date_deadline, date(2026, 6, 15))

    def test_promoters_and_passives_get_no_call(self):
        self._answer(self.customer, 8)
        self._answer(self._customer("Nps Happy", user=self.salesman), 10)
        self.assertFalse(self._activities(self.customer))

    def test_satisfaction_answers(self):
        happy = self._answer(self.customer, 4, "Nice", survey=self.csat_survey)
        self.assertRecordValues(
            happy,
            [
                {
                    "kind": "csat",
                    "score": 4,
                    "satisfied": True,
                    "csat_value": 100,
                    "category": False,
                    "unhappy": False,
                }
            ],
        )
        # The customer's NPS is the NPS surveys' only.
        self.assertFalse(self.customer.nps_last_date)
        unhappy_customer = self._customer("Csat Unhappy", user=self.salesman)
        unhappy = self._answer(unhappy_customer, 2, survey=self.csat_survey)
        self.assertTrue(unhappy.unhappy)
        self.assertFalse(unhappy.satisfied)
        self.assertEqual(self._activities(unhappy_customer).user_id, self.salesman)

    def test_the_answer_keeps_the_customer_of_the_day(self):
        self._orders(self.customer, (10,))
        self.env["crm.lifecycle.profile"]._refresh_partners(
            self.customer.ids, as_of=date(2026, 6, 15)
        )
        stage = self.customer.lifecycle_stage
        self.assertTrue(stage)
        answer = self._answer(self.customer, 9)
        self.assertEqual(answer.lifecycle_stage, stage)
        self.assertEqual(answer.rfm_segment, self.customer.rfm_segment or False)

    def test_a_missing_score_or_an_anonymous_answer_is_not_recorded(self):
        anonymous = self.nps_survey.sudo()._create_answer(
            email="someone@example.com", check_attempts=False
        )
        self.assertFalse(self._complete(anonymous, 9))
        user_input = self._invite(self.customer)
        user_input.sudo()._mark_done()
        self.assertFalse(self.Answer.search([("user_input_id", "=", user_input.id)]))

    def test_test_entries_are_not_customers(self):
        user_input = self._invite(self.customer)
        user_input.sudo().test_entry = True
        self.assertFalse(self._complete(user_input, 2))
        self.assertFalse(self._activities(self.customer))

    def test_personal_data_lists_the_answers(self):
        self._answer(self.customer, 7, "Fine")
        rows = self.customer._lifecycle_personal_data()["survey_answers"]
        self.assertEqual([(r["score"], r["comment"]) for r in rows], [(7, "Fine")])

    def test_anonymising_erases_the_customers_words_keeps_the_score(self):
        answer = self._answer(self.customer, 3, "Wang from Chaoyang: late again")
        self.customer._lifecycle_anonymise()
        self.assertFalse(answer.comment)
        self.assertEqual((answer.score, answer.category), (3, "detractor"))
        lines = answer.user_input_id.user_input_line_ids
        self.assertFalse(
            lines.filtered(lambda line: "Chaoyang" in (line.value_text_box or ""))
        )
        self.assertTrue(lines.filtered(lambda line: line.value_scale == 3))

    def test_the_trend_of_the_last_answers_in_the_company(self):
        self._answer(self.customer, 9)
        self._answer(self.customer, 0, company=self.company_b)
        self._answer(self.customer, 6)
        in_a = self.customer.with_company(self.company)
        self.assertEqual((in_a.nps_trend, in_a.nps_score_change), ("9 → 6", -3))
        self._answer(self.customer, 3)
        self._answer(self.customer, 8)
        in_a.invalidate_recordset(["nps_trend", "nps_score_change"])
        self.assertEqual((in_a.nps_trend, in_a.nps_score_change), ("6 → 3 → 8", 5))
        in_b = self.customer.with_company(self.company_b)
        self.assertEqual((in_b.nps_trend, in_b.nps_score_change), ("0", 0))

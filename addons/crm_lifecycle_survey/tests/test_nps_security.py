from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import SurveyCommon


@tagged("post_install", "-at_install")
class TestNpsSecurity(SurveyCommon):
    """Salespeople read their own customers' answers, managers everyone's
    in their companies, nobody writes them, portal users see nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mine = cls._customer("Security Mine", user=cls.salesman)
        cls.theirs = cls._customer("Security Theirs", user=cls.other_salesman)
        cls.answer_mine = cls._answer(cls.mine, 9, "Good")
        cls.answer_theirs = cls._answer(cls.theirs, 2, "Bad")
        cls.company_b = cls.env["res.company"].create({"name": "NPS Security B"})
        cls.manager_b = new_test_user(
            cls.env,
            login="nps_manager_b",
            name="Nps Manager B",
            groups="sales_team.group_sale_manager",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.portal = new_test_user(
            cls.env, login="nps_portal", name="Nps Portal", groups="base.group_portal"
        )
        cls.answers = cls.answer_mine | cls.answer_theirs

    def test_salesman_reads_his_customers_answers_only(self):
        seen = self.Answer.with_user(self.salesman).search(
            [("id", "in", self.answers.ids)]
        )
        self.assertEqual(seen, self.answer_mine)
        self.assertEqual(self.mine.with_user(self.salesman).nps_category, "promoter")

    def test_manager_reads_all_and_nobody_writes(self):
        seen = self.Answer.with_user(self.manager).search(
            [("id", "in", self.answers.ids)]
        )
        self.assertEqual(seen, self.answers)
        for user in (self.manager, self.salesman):
            with (
                self.assertRaises(AccessError),
                mute_logger("odoo.addons.base.models.ir_model"),
            ):
                self.answer_mine.with_user(user).write({"score": 0})
            with (
                self.assertRaises(AccessError),
                mute_logger("odoo.addons.base.models.ir_model"),
            ):
                self.answer_mine.with_user(user).unlink()
            with (
                self.assertRaises(AccessError),
                mute_logger("odoo.addons.base.models.ir_model"),
            ):
                self.Answer.with_user(user).create(
                    {
                        "partner_id": self.mine.id,
                        "company_id": self.company.id,
                        "survey_id": self.nps_survey.id,
                        "kind": "nps",
                        "date": "2026-06-15",
                        "score": 10,
                    }
                )

    def test_another_companys_manager_sees_none(self):
        self.assertFalse(
            self.Answer.with_user(self.manager_b)
            .with_company(self.company_b)
            .search([("id", "in", self.answers.ids)])
        )

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_portal_and_public_cannot_reach_answers(self):
        for user in (self.portal, self.public_user):
            with self.assertRaises(AccessError):
                self.Answer.with_user(user).search([])
            with self.assertRaises(AccessError):
                self.answer_mine.with_user(user).read(["score"])
        # The customer's NPS is the salespeople's, not the customer's.
        with self.assertRaises(AccessError):
            self.mine.with_user(self.portal).read(["nps_category"])

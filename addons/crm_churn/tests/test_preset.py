from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRetailChinaPreset(TransactionCase):
    """Settings > Loyalty > Retail China: a company configured in one step,
    every addon adding its part; applying it again changes nothing more."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create(
            {"name": "上海零售有限公司", "country_id": cls.env.ref("base.cn").id}
        )
        cls.manager = new_test_user(
            cls.env,
            login="preset_manager",
            groups="sales_team.group_sale_manager",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )
        cls.salesman = new_test_user(
            cls.env,
            login="preset_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )

    def _apply(self, user=None):
        wizard = (
            self.env["crm.retail.china.preset"]
            .with_user(user or self.manager)
            .with_company(self.company)
            .create({"company_id": self.company.id, "member_weekday": "3"})
        )
        wizard.action_apply()
        return wizard

    def test_one_step_configuration(self):
        wizard = self._apply()
        company = self.company
        self.assertEqual(company.currency_id, self.env.ref("base.CNY"))
        program = self.env["loyalty.program"].search(
            [
                ("company_id", "=", company.id),
                ("program_type", "=", "loyalty"),
                ("crm_ledger_managed", "=", True),
            ]
        )
        self.assertEqual(len(program), 1)
        self.assertEqual(program.rule_ids.reward_point_mode, "money")
        self.assertEqual(program.rule_ids.reward_point_amount, 1)
        self.assertEqual(
            (
                program.crm_member_day_kind,
                program.crm_member_weekday,
                program.crm_member_day_factor,
                program.crm_birthday_factor,
            ),
            ("weekday", "3", 2.0, 3.0),
        )
        share = program.crm_behaviour_ids.filtered(lambda b: b.code == "share")
        self.assertEqual(share.points, 50)
        self.assertEqual(company.loyalty_tier_basis, "spent")
        self.assertEqual(company.loyalty_tier_window, "calendar")
        tiers = self.env["crm.loyalty.tier"].search(
            [("company_id", "=", company.id)], order="threshold"
        )
        self.assertEqual(tiers.mapped("stars"), ["1", "2", "3"])
        self.assertEqual(tiers.mapped("threshold"), [0.0, 3000.0, 10000.0])
        self.assertEqual(tiers[2].retention_threshold, 10000.0)
        self.assertEqual(
            [t.pricelist_id.item_ids.percent_price for t in tiers[1:]], [10.0, 20.0]
        )
        journeys = self.env["crm.journey"].search(
            [("company_id", "=", company.id), ("state", "=", "running")]
        )
        self.assertEqual(len(journeys), 3)
        coupon = journeys.step_ids.coupon_program_id
        self.assertEqual(coupon.company_id, company, "the company's own coupons")
        self.assertIn("Journeys started", wizard.result)
        self.assertIn("Churn reasons", wizard.result)
        # Again: nothing doubled.
        self._apply()
        self.assertEqual(
            self.env["crm.journey"].search_count([("company_id", "=", company.id)]), 3
        )
        self.assertEqual(
            self.env["crm.loyalty.tier"].search_count(
                [("company_id", "=", company.id)]
            ),
            3,
        )
        # Deadlines of a company in China skip the Spring Festival holidays
        # and count the adjusted Saturday (调休).
        self.assertEqual(
            company._lifecycle_add_working_days(date(2026, 2, 13), 2), date(2026, 2, 24)
        )

    def test_only_managers(self):
        with self.assertRaises(AccessError):
            self._apply(self.salesman)

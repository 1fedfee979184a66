from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, LifecycleCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestOwnCustomers(LifecycleCommon):
    """The suite's figures follow the sales rights: a salesman restricted to
    his own documents sees those of his own customers (and of customers no
    one is assigned to), like their orders; an "all documents" salesman sees
    everyone's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_salesman = new_test_user(
            cls.env,
            "lc_own_docs",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
        )
        cls.all_salesman = new_test_user(
            cls.env,
            "lc_all_docs",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=cls.company.id,
        )
        cls.mine = cls._customer("My customer", [300, 200, 20])
        cls.theirs = cls._customer("Their customer", [300, 200, 20])
        cls.nobodys = cls._customer("Nobody's customer", [300, 20])
        cls.mine.user_id = cls.own_salesman
        cls.theirs.user_id = cls.all_salesman

    def setUp(self):
        super().setUp()
        self._recompute()

    def _visible(self, user, model):
        records = (
            self.env[model]
            .with_user(user)
            .search(
                [("partner_id", "in", (self.mine | self.theirs | self.nobodys).ids)]
            )
        )
        return records.partner_id

    def test_own_documents_salesman_sees_his_customers_only(self):
        for model in (
            "crm.lifecycle.profile",
            "crm.lifecycle.stage.history",
            "crm.rfm.segment.history",
        ):
            with self.subTest(model=model):
                self.assertEqual(
                    self._visible(self.own_salesman, model), self.mine | self.nobodys
                )
                self.assertEqual(
                    self._visible(self.all_salesman, model),
                    self.mine | self.theirs | self.nobodys,
                )

    def test_customer_form_shows_no_figures_of_other_customers(self):
        theirs = self.theirs.with_user(self.own_salesman)
        self.assertFalse(theirs.lifecycle_profile_id)
        self.assertEqual(theirs.lifecycle_order_count, 0)
        self.assertFalse(theirs.lifecycle_stage_history_ids)
        mine = self.mine.with_user(self.own_salesman)
        self.assertEqual(mine.lifecycle_order_count, 3)
        self.assertTrue(mine.lifecycle_stage_history_ids)
        self.assertEqual(
            self.theirs.with_user(self.all_salesman).lifecycle_order_count, 3
        )

    def test_filter_on_a_figure_finds_own_customers_only(self):
        Partner = self.env["res.partner"].with_user(self.own_salesman)
        found = Partner.search([("lifecycle_order_count", ">=", 2)])
        self.assertIn(self.mine, found)
        self.assertNotIn(self.theirs, found)

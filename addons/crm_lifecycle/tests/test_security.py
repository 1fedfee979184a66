from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from .common import TODAY, LifecycleCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestSecurity(LifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Lifecycle Co B"})
        cls.customer = cls._customer("Shared customer", [100, 40])
        cls._order(cls.customer, TODAY, 70.0, company=cls.company_b)
        cls.salesman = new_test_user(
            cls.env,
            "lc_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
        )
        cls.manager = new_test_user(
            cls.env,
            "lc_manager",
            groups="sales_team.group_sale_manager",
            company_id=cls.company.id,
        )
        cls.user_b = new_test_user(
            cls.env,
            "lc_user_b",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.portal = new_test_user(cls.env, "lc_portal", groups="base.group_portal")

    def setUp(self):
        super().setUp()
        self._recompute()

    def test_profiles_per_company(self):
        profile_a = self._profile(self.customer)
        profile_b = self._profile(self.customer, self.company_b)
        self.assertEqual(profile_a.order_count, 2)
        self.assertEqual(profile_b.order_count, 1)
        self.assertEqual(profile_b.stage, "new")
        self.assertEqual(profile_a.stage, "active")
        self.assertEqual(
            self.customer.with_company(self.company_b).lifecycle_stage, "new"
        )
        self.assertEqual(
            self.customer.with_company(self.company).lifecycle_stage, "active"
        )

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_other_company_user_cannot_read(self):
        env_b = self.env(
            user=self.user_b, context={"allowed_company_ids": self.company_b.ids}
        )
        profiles = env_b["crm.lifecycle.profile"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(profiles.company_id, self.company_b)
        profile_a = self._profile(self.customer)
        with self.assertRaises(AccessError):
            profile_a.with_env(env_b).read(["stage"])
        stay_a = self.env["crm.lifecycle.stage.history"].search(
            [("company_id", "=", self.company.id)], limit=1
        )
        self.assertTrue(stay_a)
        with self.assertRaises(AccessError):
            stay_a.with_env(env_b).read(["stage"])
        self.assertFalse(
            env_b["crm.lifecycle.stage.history"].search(
                [("company_id", "=", self.company.id)]
            )
        )
        self.assertEqual(
            self.customer.with_env(env_b).lifecycle_stage, "new", "company B's stage"
        )

    def test_salesman_reads_but_cannot_change(self):
        customer = self.customer.with_user(self.salesman)
        self.assertEqual(customer.lifecycle_stage, "active")
        self.assertEqual(customer.lifecycle_profile_id.order_count, 2)
        self.assertTrue(customer.lifecycle_stage_history_ids)
        profile = self._profile(self.customer).with_user(self.salesman)
        with self.assertRaises(AccessError):
            profile.write({"stage": "loyal"})
        with self.assertRaises(AccessError):
            customer.action_lifecycle_unpin()
        with self.assertRaises(AccessError):
            customer.action_lifecycle_refresh()
        with self.assertRaises(AccessError):
            self.Run.with_user(self.salesman).action_recompute_now()
        with self.assertRaises(AccessError):
            self.env["crm.lifecycle.pin.wizard"].with_user(self.salesman).create(
                {"partner_id": self.customer.id, "stage": "loyal", "reason": "no"}
            )
        with self.assertRaises(AccessError):
            self.env["crm.purchase.model"].with_user(self.salesman).create({})

    def test_salesman_confirming_an_order_refreshes_through_sudo(self):
        order = self._order(self.customer, TODAY, state="draft")
        order.with_user(self.manager).action_confirm()
        # The customer waits in the queue, which only administrators may
        # read, for the cron (run as superuser) that refreshes it.
        Queue = self.env["crm.lifecycle.refresh.queue"]
        self.assertEqual(Queue.search([]).partner_id, self.customer)
        with self.assertRaises(AccessError):
            Queue.with_user(self.manager).search([])
        Queue._cron_process()
        self.assertEqual(self._profile(self.customer).order_count, 3)

    def test_manager_pins_and_recomputes(self):
        Wizard = self.env["crm.lifecycle.pin.wizard"].with_user(self.manager)
        Wizard.create(
            {"partner_id": self.customer.id, "stage": "loyal", "reason": "VIP"}
        ).action_pin()
        self.assertEqual(self.customer.lifecycle_stage, "loyal")
        self.Run.with_user(self.manager).action_recompute_now()
        self.assertEqual(self.customer.lifecycle_stage, "loyal")

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_portal_sees_nothing(self):
        for model in (
            "crm.lifecycle.profile",
            "crm.lifecycle.stage.history",
            "crm.rfm.segment.history",
            "crm.purchase.model",
            "crm.lifecycle.run",
            "crm.lifecycle.stage.report",
        ):
            with self.assertRaises(AccessError, msg=model):
                self.env[model].with_user(self.portal).search([])

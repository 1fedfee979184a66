from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from .common import TODAY, LifecycleCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestSudoGuard(LifecycleCommon):
    """Every sudo() of crm_lifecycle serves a public entry point that checks
    its caller first (docs/SECURITY.md): a caller without the right gets an
    error and the superuser part never runs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company.id
        cls.salesman = new_test_user(
            cls.env,
            "guard_lc_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=company,
        )
        cls.owner = new_test_user(
            cls.env,
            "guard_lc_owner",
            groups="sales_team.group_sale_salesman",
            company_id=company,
        )
        cls.manager = new_test_user(
            cls.env,
            "guard_lc_manager",
            groups="sales_team.group_sale_manager",
            company_id=company,
        )
        cls.portal = new_test_user(
            cls.env, "guard_lc_portal", groups="base.group_portal", company_id=company
        )
        cls.company_b = cls.env["res.company"].create({"name": "Guard Co B"})
        cls.manager_b = new_test_user(
            cls.env,
            "guard_lc_manager_b",
            groups="sales_team.group_sale_manager",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.customer = cls._customer("Guard customer", [200, 100])
        cls.customer.user_id = cls.owner

    def setUp(self):
        super().setUp()
        self._recompute()
        self.profile = self._profile(self.customer)
        self.assertEqual(self.profile.order_count, 2)

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_orders_refresh_profiles_only_for_those_who_may_confirm(self):
        """sale_order._lifecycle_refresh (and _company_settings, _latest_cuts_cached,
        _latest below it): reached by confirming or cancelling an order,
        whether it refreshes the customer at once or queues it."""
        for mode in ("confirm", "queue"):
            with self.subTest(mode=mode):
                self.company.lifecycle_refresh_on_order = mode
                self._check_orders_refresh(mode)

    def _count_after_cron(self, mode):
        """The customer's order count, once the cron has refreshed what the
        confirmations queued (in ``queue`` mode)."""
        if mode == "queue":
            self.env["crm.lifecycle.refresh.queue"]._cron_process()
        return self._profile(self.customer).order_count

    def _check_orders_refresh(self, mode):
        Queue = self.env["crm.lifecycle.refresh.queue"]
        order = self._order(self.customer, TODAY, state="draft")
        order.user_id = self.owner
        for user in (self.salesman, self.portal):
            with self.assertRaises(AccessError):
                order.with_user(user).action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertFalse(Queue.search_count([]))
        self.assertEqual(self._count_after_cron(mode), 2)
        # The order's salesperson can write neither profiles nor the queue:
        # the refresh does it.
        order.with_user(self.owner).action_confirm()
        self.assertEqual(bool(Queue.search_count([])), mode == "queue")
        self.assertEqual(self._count_after_cron(mode), 3)
        no_warning = {"disable_cancel_warning": True}
        with self.assertRaises(AccessError):
            order.with_user(self.salesman).with_context(**no_warning).action_cancel()
        self.assertEqual(order.state, "sale")
        self.assertFalse(Queue.search_count([]))
        self.assertEqual(self._count_after_cron(mode), 3)
        order.with_user(self.owner).with_context(**no_warning).action_cancel()
        self.assertEqual(self._count_after_cron(mode), 2)

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_recomputing_needs_a_manager(self):
        """action_recompute_now (cron trigger, batch size parameter) and the
        manual refresh of a customer."""
        runs = self.Run.search_count([])
        cron = self.env.ref("crm_lifecycle.ir_cron_lifecycle_nightly")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        for user in (self.salesman, self.portal):
            with self.assertRaises(AccessError):
                self.Run.with_user(user).action_recompute_now()
            with self.assertRaises(AccessError):
                self.customer.with_user(user).action_lifecycle_refresh()
        self.assertEqual(self.Run.search_count([]), runs)
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers,
        )
        self.Run.with_user(self.manager).action_recompute_now()
        self.assertEqual(self.Run.search_count([]), runs + 1)

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_deleting_a_fit_needs_the_right(self):
        """crm_purchase_model.unlink counts the profiles of the fit as
        superuser; only those who may delete fits delete one."""
        in_use = self.profile.purchase_model_id
        self.assertTrue(in_use)
        spare = self.env["crm.purchase.model"].create({"company_id": self.company.id})
        for user in (self.salesman, self.portal, self.manager_b):
            with self.assertRaises(AccessError):
                spare.with_user(user).unlink()
            # AccessError is a UserError: the fit in use is refused either
            # way (today before the access check, see docs/SECURITY.md).
            with self.assertRaises(UserError):
                in_use.with_user(user).unlink()
        self.assertTrue(spare.exists() and in_use.exists())
        with self.assertRaises(UserError):
            in_use.with_user(self.manager).unlink()
        spare.with_user(self.manager).unlink()
        self.assertFalse(spare.exists())

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_settings_are_for_administrators(self):
        """_lifecycle_schedule_cron writes the cron as superuser: reached by
        saving the settings, which only administrators can."""
        cron = self.env.ref("crm_lifecycle.ir_cron_lifecycle_nightly")
        nextcall = cron.nextcall
        for user in (self.manager, self.salesman):
            with self.assertRaises(AccessError):
                self.env["res.config.settings"].with_user(user).create(
                    {"lifecycle_nightly_hour": (cron.nextcall.hour + 5) % 24}
                ).execute()
        self.assertEqual(cron.nextcall, nextcall)

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import TODAY, ChurnCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestSudoGuard(ChurnCommon):
    """Every sudo() of crm_churn serves a public entry point that checks its
    caller first (docs/SECURITY.md): a caller without the right gets an
    error and the alert does not move."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mine = cls._customer("Guard mine", cls.salesman, monthly_until=130)
        cls.theirs = cls._customer(
            "Guard theirs", cls.other_salesman, monthly_until=130
        )
        cls.partners = cls.mine | cls.theirs
        cls.portal = new_test_user(
            cls.env, "guard_ch_portal", groups="base.group_portal"
        )
        cls.points_program = cls.env["loyalty.program"].create(
            {"name": "Guard points", "program_type": "loyalty"}
        )
        cls._winback_journey(
            "Guard bonus points",
            {
                "alert_offer_type": "points",
                "points_program_id": cls.points_program.id,
                "points": 50,
                "alert_mail_template_id": cls.env.ref(
                    "crm_churn.mail_template_churn_winback"
                ).id,
            },
        )

    def setUp(self):
        super().setUp()
        self._run(TODAY)
        self.my_alert = self._alerts(self.mine)
        self.their_alert = self._alerts(self.theirs)
        self.assertEqual(self.their_alert.stage, "new")
        self.assertEqual(self.their_alert.offer_state, "to_approve")

    def _bonus_entries(self, partner):
        return self.env["crm.loyalty.entry"].search(
            [("partner_id", "=", partner.id), ("entry_type", "=", "bonus")]
        )

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_offers_serve_the_alert_owner_only(self):
        """_send_offer (the journey's template as superuser) and
        _post_bonus_points (card and ledger entry as superuser)."""
        messages = len(self.their_alert.message_ids)
        for user in (self.salesman, self.portal):
            with self.assertRaises(AccessError):
                self.their_alert.with_user(user).action_approve_offer()
        self.assertEqual(self.their_alert.offer_state, "to_approve")
        self.assertFalse(self.their_alert.bonus_entry_id)
        self.assertFalse(self._bonus_entries(self.theirs))
        self.assertEqual(len(self.their_alert.message_ids), messages)
        # The salesman approves the offer of his own customer, without any
        # right on cards, ledger entries or mail templates.
        self.my_alert.with_user(self.salesman).action_approve_offer()
        self.assertEqual(self.my_alert.offer_state, "sent")
        self.assertEqual(self._bonus_entries(self.mine).points, 50)

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_posting_on_an_alert_needs_access_to_it(self):
        """message_post moves a New alert to In progress as superuser."""
        for user in (self.salesman, self.portal):
            with self.assertRaises(AccessError):
                self.their_alert.with_user(user).message_post(body="Called")
        self.assertEqual(self.their_alert.stage, "new")
        self.their_alert.with_user(self.other_salesman).message_post(body="Called")
        self.assertEqual(self.their_alert.stage, "in_progress")

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_orders_win_back_only_for_those_who_may_confirm(self):
        """The queue's cron (crm.lifecycle.refresh.queue._process) closes
        alerts as won back for the customers that confirmations queued: only
        a confirmation the user may make queues one."""
        self._check_win_back_needs_the_confirmation()
        self.env["crm.lifecycle.refresh.queue"]._cron_process()
        self.assertEqual(self.their_alert.stage, "won_back")

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_orders_win_back_at_once_only_for_those_who_may_confirm(self):
        """sale_order._churn_detect_won_back closes alerts as won back as
        superuser, where the company updates its customers as the order is
        confirmed."""
        self.company.lifecycle_refresh_on_order = "confirm"
        self._check_win_back_needs_the_confirmation()
        self.assertEqual(self.their_alert.stage, "won_back")

    def _check_win_back_needs_the_confirmation(self):
        [order] = self._orders(self.theirs, [0], state="draft")
        order.user_id = self.other_salesman
        Queue = self.env["crm.lifecycle.refresh.queue"]
        queued = Queue.search_count([])
        for user in (self.salesman, self.portal):
            with self.assertRaises(AccessError):
                order.with_user(user).action_confirm()
        self.assertEqual(self.their_alert.stage, "new")
        self.assertEqual(Queue.search_count([]), queued)
        order.with_user(self.other_salesman).action_confirm()

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_runs_and_settings_are_for_managers(self):
        """action_run_now (cron trigger, batch size parameter, _gather,
        _add_tier_facts, _score_partners, signal _weights) and
        _churn_schedule_cron (saved settings)."""
        Run = self.env["crm.churn.run"]
        runs = Run.search_count([])
        cron = self.env.ref("crm_churn.ir_cron_churn_nightly")
        nextcall = cron.nextcall
        for user in (self.salesman, self.leader, self.portal):
            with self.assertRaises(AccessError):
                Run.with_user(user).action_run_now()
        self.assertEqual(Run.search_count([]), runs)
        for user in (self.manager, self.salesman):
            with self.assertRaises(AccessError):
                self.env["res.config.settings"].with_user(user).create(
                    {"churn_nightly_hour": (nextcall.hour + 5) % 24}
                ).execute()
        self.assertEqual(cron.nextcall, nextcall)
        for user in (self.manager,):
            Run.with_user(user).action_run_now()
        self.assertEqual(Run.search_count([]), runs + 1)

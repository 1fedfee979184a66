from ast import literal_eval
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from ..tools import scoring
from .common import TODAY, ChurnCommon


@tagged("post_install", "-at_install")
class TestChurnAlert(ChurnCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.silent = cls._customer("Silent Customer", cls.salesman, monthly_until=130)
        cls.partners = cls.silent
        cls.coupon_program = cls.env["loyalty.program"].create(
            {
                "name": "Win-back 20%",
                "program_type": "coupons",
                "trigger": "with_code",
                "applies_on": "current",
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount_mode": "percent",
                            "discount": 20,
                            "discount_applicability": "order",
                            "required_points": 1,
                        }
                    )
                ],
            }
        )
        cls.template = cls.env.ref("crm_churn.mail_template_churn_winback")
        cls.coupon_journey = cls._winback_journey(
            "Coupon for everyone",
            {
                "alert_offer_type": "coupon",
                "coupon_program_id": cls.coupon_program.id,
                "alert_mail_template_id": cls.template.id,
            },
        )

    def _alert(self, day=TODAY):
        self._run(day)
        alert = self._alerts(self.silent)
        self.assertEqual(len(alert), 1)
        return alert

    def test_coupon_offer_waits_for_approval(self):
        alert = self._alert()
        self.assertEqual(alert.journey_id, self.coupon_journey)
        self.assertEqual(
            alert.offer_step_id, self.coupon_journey.step_ids.sorted("sequence")[1]
        )
        self.assertEqual(alert.offer_type, "coupon")
        self.assertEqual(alert.offer_state, "to_approve")
        self.assertFalse(alert.coupon_id, "nothing is created before approval")
        alert.with_user(self.salesman).action_approve_offer()
        self.assertEqual(alert.offer_state, "sent")
        coupon = alert.coupon_id
        self.assertEqual(coupon.program_id, self.coupon_program)
        self.assertEqual(coupon.partner_id, self.silent)
        self.assertEqual(coupon.points, 1.0, "single use: the reward costs 1 point")
        self.assertEqual(
            coupon.expiration_date,
            TODAY.today() + timedelta(days=self.company.churn_winback_days),
        )
        message = alert.message_ids.filtered(lambda m: coupon.code in (m.body or ""))
        self.assertTrue(message, "the email carries the coupon code")
        self.assertIn(self.silent, message.partner_ids)
        self.assertIn(
            self.silent._loyalty_unsubscribe_url().replace("&", "&amp;"),
            message.body,
            "and the customer's unsubscribe link",
        )
        with self.assertRaises(UserError):
            alert.action_approve_offer()

    def test_an_offer_to_a_customer_who_opted_out_is_not_emailed(self):
        """The coupon is made, the email is not: the chatter tells the
        salesperson to hand it over another way."""
        self.silent.email = "silent@example.com"
        self.env["mail.blacklist"]._add("silent@example.com")
        alert = self._alert()
        alert.with_user(self.salesman).action_approve_offer()
        self.assertEqual(alert.offer_state, "sent")
        self.assertTrue(alert.coupon_id)
        self.assertFalse(
            alert.message_ids.filtered(lambda m: alert.coupon_id.code in (m.body or ""))
        )
        self.assertFalse(
            self.env["mail.mail"].search([("recipient_ids", "in", self.silent.ids)])
        )
        self.assertTrue(
            alert.message_ids.filtered(lambda m: "opted out" in (m.body or ""))
        )

    def test_a_customer_who_asked_for_no_marketing_gets_a_call_no_offer(self):
        """Journeys leave out customers who asked for no marketing: their
        alert keeps the salesperson's call and makes no offer."""
        self.silent.write(
            {"email": "silent@example.com", "lifecycle_no_marketing": True}
        )
        alert = self._alert()
        self.assertFalse(alert.journey_id)
        self.assertEqual(alert.offer_state, "none")
        self.assertEqual(len(alert.activity_ids), 1)
        self.assertEqual(alert.activity_ids.user_id, self.salesman)
        with self.assertRaises(UserError):
            alert.with_user(self.salesman).action_approve_offer()
        self.assertFalse(
            self.env["mail.mail"].search([("recipient_ids", "in", self.silent.ids)])
        )

    def test_the_tier_service_level_sets_owner_and_deadline(self):
        """星级管理: a Gold member's alert goes to the tier's account manager,
        due the same working day (4-hour response time)."""
        gold = self.env.ref("crm_loyalty.tier_gold")
        gold.write(
            {
                "service_response_hours": 4,
                "service_dedicated": True,
                "service_manager_id": self.leader.id,
            }
        )
        self.silent.sudo().with_company(self.company).loyalty_tier_id = gold
        alert = self._alert()
        self.assertEqual(alert.user_id, self.leader)
        self.assertEqual(alert.deadline, TODAY)
        # With an account manager of his own, the member's alert is his.
        self.silent.loyalty_account_manager_id = self.other_salesman
        user, deadline = self.silent._loyalty_service(
            self.company, TODAY, 3, self.salesman
        )
        self.assertEqual((user, deadline), (self.other_salesman, TODAY))
        # Without a tier: the given user, in the given working days.
        other = self._customer("No Tier Customer", self.salesman)
        self.assertEqual(
            other._loyalty_service(self.company, TODAY, 3, self.salesman),
            (self.salesman, self.company._lifecycle_add_working_days(TODAY, 3)),
        )
        # The members the tier promises a manager to, who have none.
        self.silent.loyalty_account_manager_id = False
        action = self.env.ref("crm_loyalty.crm_loyalty_members_to_assign_action")
        members = self.env["res.partner"].search(literal_eval(action.domain))
        self.assertIn(self.silent, members)

    def test_auto_send_and_skip(self):
        self.company.churn_auto_send = True
        alert = self._alert()
        self.assertEqual(alert.offer_state, "sent")
        self.assertTrue(alert.coupon_id)
        other = self._customer("Second Silent", self.salesman, monthly_until=130)
        self.company.churn_auto_send = False
        self._run(TODAY, partners=other)
        second = self._alerts(other)
        second.action_skip_offer()
        self.assertEqual(second.offer_state, "skipped")
        self.assertFalse(second.coupon_id)

    def test_points_offer_posts_bonus_once(self):
        program = self.env["loyalty.program"].create(
            {
                "name": "Win-back points",
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "rule_ids": [
                    Command.create(
                        {"reward_point_mode": "money", "reward_point_amount": 1}
                    )
                ],
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount": 5,
                            "discount_mode": "per_order",
                            "discount_applicability": "order",
                            "required_points": 100,
                        }
                    )
                ],
            }
        )
        self.assertTrue(program.crm_ledger_managed)
        self.coupon_journey.action_stop()
        self._winback_journey(
            "Points",
            {
                "alert_offer_type": "points",
                "points_program_id": program.id,
                "points": 250,
            },
        )
        alert = self._alert()
        alert.action_approve_offer()
        entry = alert.bonus_entry_id
        self.assertEqual(entry.entry_type, "bonus")
        self.assertEqual(entry.points, 250)
        self.assertEqual(entry.card_id.partner_id, self.silent)
        self.assertEqual(entry.card_id.points, 250)
        self.assertEqual(entry.reason_code, "winback")
        self.assertEqual(entry.reason_display, "Win-back offer")
        # Posting again (a retried request) changes nothing.
        self.assertEqual(alert._post_bonus_points(), entry)
        self.assertEqual(entry.card_id.points, 250)

    def test_offer_steps_need_what_they_offer(self):
        journey = self.coupon_journey
        for vals in (
            {"alert_offer_type": "points", "points": 10},
            {"alert_offer_type": "none", "alert_mail_template_id": False},
        ):
            with self.assertRaises(ValidationError):
                journey.step_ids = [Command.create({"kind": "alert_offer", **vals})]
        # An offer on the alert needs an alert to be made on.
        birthday = self.env["crm.journey"].create(
            {"name": "Birthday", "trigger": "birthday_month"}
        )
        with self.assertRaises(ValidationError):
            birthday.step_ids = [
                Command.create({"kind": "alert_offer", "alert_offer_type": "coupon"})
            ]

    def test_an_alert_follows_the_first_journey_that_takes_it(self):
        """As the playbooks did: by sequence, the first journey whose
        audience takes the customer gives the alert its call and offer;
        the others do not enrol the customer."""
        self.coupon_journey.partner_domain = "[('lifecycle_stage', '=', 'loyal')]"
        fallback = self._winback_journey(
            "At risk only",
            sequence=50,
            domain="[('lifecycle_stage', '=', 'at_risk')]",
            activity_summary="Call the at-risk customer",
        )
        later = self._winback_journey("Anyone, later", sequence=60)
        alert = self._alert()
        self.assertEqual(self.silent.lifecycle_stage, "at_risk")
        self.assertEqual(alert.journey_id, fallback)
        self.assertEqual(alert.offer_state, "none")
        self.assertEqual(alert.offer_group, "none")
        # One activity, worded by the journey, due on the alert's deadline.
        self.assertEqual(len(alert.activity_ids), 1)
        self.assertEqual(alert.activity_ids.summary, "Call the at-risk customer")
        self.assertEqual(alert.activity_ids.date_deadline, alert.deadline)
        self.assertEqual(alert.activity_ids.user_id, self.salesman)
        participants = self.env["crm.journey.participant"].search(
            [("partner_id", "=", self.silent.id)]
        )
        self.assertEqual(participants.journey_id, fallback)
        self.assertFalse(later.participant_ids)
        self.assertEqual(fallback.step_ids.reached_count, 1)
        with self.assertRaises(ValidationError):
            fallback.partner_domain = "[('no_such_field', '=', 1)]"

    def test_a_later_activity_step_adds_a_call_and_a_closed_alert_skips(self):
        """After a wait, a second activity step adds a call on the alert,
        due in its working days; once the alert is closed, the steps skip."""
        journey = self.coupon_journey
        journey.step_ids = [
            Command.create({"sequence": 30, "kind": "wait", "wait_days": 7}),
            Command.create(
                {
                    "sequence": 40,
                    "kind": "activity",
                    "activity_summary": "Call again",
                    "activity_days": 2,
                }
            ),
            Command.create({"sequence": 50, "kind": "wait", "wait_days": 7}),
            Command.create(
                {"sequence": 60, "kind": "activity", "activity_summary": "Last try"}
            ),
        ]
        alert = self._alert()
        self.assertEqual(len(alert.activity_ids), 1)
        Run = self.env["crm.journey.run"]
        Run._process_partners(self.silent.ids, TODAY + timedelta(days=7))
        second = alert.activity_ids.filtered(lambda a: a.summary == "Call again")
        self.assertEqual(len(alert.activity_ids), 2)
        self.assertEqual(
            second.date_deadline,
            self.company._lifecycle_add_working_days(TODAY + timedelta(days=7), 2),
        )
        alert._set_lost(self.env.ref("crm_churn.crm_churn_reason_price"))
        Run._process_partners(self.silent.ids, TODAY + timedelta(days=14))
        self.assertFalse(
            self.env["mail.activity"].search(
                [
                    ("res_model", "=", "crm.churn.alert"),
                    ("res_id", "=", alert.id),
                    ("summary", "=", "Last try"),
                ]
            )
        )
        last = journey.step_ids.filtered(lambda s: s.activity_summary == "Last try")
        self.assertEqual((last.reached_count, last.skipped_count), (0, 1))

    def test_control_group_gets_no_offer_and_is_stable(self):
        self.company.churn_control_share = 50.0
        draws = {
            pid: scoring.in_control_group(pid, self.company.id, 50.0)
            for pid in range(1, 200)
        }
        self.assertTrue(any(draws.values()) and not all(draws.values()))
        customers = self.env["res.partner"]
        for index in range(6):
            customers |= self._customer(
                f"Control {index}", self.salesman, monthly_until=130
            )
        self._run(TODAY, partners=customers)
        alerts = self.env["crm.churn.alert"].search(
            [("partner_id", "in", customers.ids)]
        )
        self.assertEqual(len(alerts), 6)
        for alert in alerts:
            expected = scoring.in_control_group(
                alert.partner_id.id, self.company.id, 50.0
            )
            self.assertEqual(alert.is_control, expected)
            self.assertEqual(alert.offer_state, "control" if expected else "to_approve")
        # Same customer, same side, on a later alert.
        first = alerts[0]
        first._set_lost(self.env.ref("crm_churn.crm_churn_reason_price"))
        self.assertEqual(
            self.env["crm.churn.alert"]._prepare_alert_vals(
                {
                    "partner_id": first.partner_id.id,
                    "company_id": self.company.id,
                    "score": 70,
                    "level": "high",
                    "reason_data": [],
                },
                TODAY,
            )["is_control"],
            first.is_control,
        )

    def test_won_back_with_frozen_dates(self):
        self.assertFalse(self.silent.churn_alert_open)
        with freeze_time(TODAY):
            alert = self._alert()
        # The flag that lets order confirmations skip customers without an
        # open alert follows the alert.
        self.assertTrue(self.silent.churn_alert_open)
        order_day = TODAY + timedelta(days=12)
        with freeze_time(order_day):
            order = self._confirm_silent_order(order_day, 450.0)
            # The company updates its customers in the background (the
            # default): the queue's cron closes the alert moments later.
            self.assertEqual(alert.stage, "new")
            self.env["crm.lifecycle.refresh.queue"]._cron_process()
        self.assertEqual(alert.stage, "won_back")
        self.assertEqual(alert.won_order_id, order)
        self.assertEqual(alert.won_date, order_day)
        self.assertEqual(alert.days_to_win_back, 12)
        self.assertEqual(alert.recovered_revenue, 450.0)
        self.assertEqual(alert.win_back_rate, 100.0)
        self.assertFalse(alert.activity_ids)
        self.assertFalse(self.silent.churn_alert_open)
        # A second order in the window adds to the recovered revenue.
        second_day = order_day + timedelta(days=20)
        self._orders(self.silent, [0], amount=50.0, today=second_day)
        self.env["crm.churn.alert"]._refresh_open_windows(second_day)
        self.assertEqual(alert.recovered_revenue, 500.0)

    def test_won_back_as_the_order_is_confirmed(self):
        """Where the company updates its customers as the order is
        confirmed, the confirmation closes the alert itself."""
        self.company.lifecycle_refresh_on_order = "confirm"
        queued = self.env["crm.lifecycle.refresh.queue"].search_count([])
        with freeze_time(TODAY):
            alert = self._alert()
        with freeze_time(TODAY + timedelta(days=3)):
            order = self._confirm_silent_order(TODAY + timedelta(days=3), 120.0)
        self.assertEqual(alert.stage, "won_back")
        self.assertEqual(alert.won_order_id, order)
        self.assertEqual(
            self.env["crm.lifecycle.refresh.queue"].search_count([]), queued
        )

    def test_a_purchase_in_another_channel_wins_the_customer_back(self):
        """An invoice without a sale order (the till, with crm_lifecycle_pos)
        wins the customer back on its day, through the same queue as an
        order; there is no order to name, the revenue is recovered."""
        with freeze_time(TODAY):
            alert = self._alert()
        day = TODAY + timedelta(days=5)
        with freeze_time(day):
            invoice = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.silent.id,
                    "invoice_date": day,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": self.product.id,
                                "quantity": 1,
                                "price_unit": 230.0,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
            invoice.action_post()
            self.env["crm.lifecycle.refresh.queue"]._cron_process()
        self.assertEqual(alert.stage, "won_back")
        self.assertFalse(alert.won_order_id)
        self.assertEqual(alert.won_date, day)
        self.assertEqual(alert.days_to_win_back, 5)
        self.assertEqual(alert.recovered_revenue, 230.0)

    def _confirm_silent_order(self, day, amount):
        order = self._orders(self.silent, [0], amount=amount, today=day, state="draft")
        order.action_confirm()
        return order

    def test_order_after_window_is_not_a_win_back(self):
        alert = self._alert()
        late = TODAY + timedelta(days=self.company.churn_winback_days + 5)
        self._orders(self.silent, [0], today=late)
        self.env["crm.churn.alert"]._detect_won_back()
        self.assertEqual(alert.stage, "new")

    def test_escalation(self):
        self.company.churn_escalation_days = 7
        alert = self._alert()
        Alert = self.env["crm.churn.alert"]
        self.assertFalse(Alert._escalate(TODAY + timedelta(days=6)))
        escalated = Alert._escalate(TODAY + timedelta(days=7))
        self.assertEqual(escalated, alert)
        self.assertTrue(alert.escalated)
        leader_activity = alert.activity_ids.filtered(
            lambda a: a.user_id == self.leader
        )
        self.assertEqual(len(leader_activity), 1)
        # Once only.
        self.assertFalse(Alert._escalate(TODAY + timedelta(days=8)))
        # An alert someone worked on is not escalated.
        other = self._customer("Worked on", self.salesman, monthly_until=130)
        self._run(TODAY, partners=other)
        worked = self._alerts(other)
        worked.with_user(self.salesman).message_post(body="Called, no answer.")
        self.assertEqual(worked.stage, "in_progress")
        self.assertNotIn(worked, Alert._escalate(TODAY + timedelta(days=30)))

    def test_close_as_lost_needs_a_reason(self):
        alert = self._alert()
        with self.assertRaises(UserError):
            alert._set_lost(self.env["crm.churn.reason"])
        action = alert.with_user(self.salesman).action_open_lost_wizard()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.salesman)
            .with_context(**action["context"])
        )
        wizard.lost_reason_id = self.env.ref("crm_churn.crm_churn_reason_competitor")
        wizard.lost_note = "Moved to a cheaper supplier."
        wizard.save().action_confirm()
        self.assertEqual(alert.stage, "lost")
        self.assertEqual(
            alert.lost_reason_id, self.env.ref("crm_churn.crm_churn_reason_competitor")
        )
        self.assertEqual(alert.lost_note, "Moved to a cheaper supplier.")
        self.assertFalse(alert.activity_ids)
        with self.assertRaises(UserError):
            alert._set_lost(self.env.ref("crm_churn.crm_churn_reason_price"))
        # A lost alert no longer blocks a new one for the same customer.
        self.env["crm.churn.risk"].search(
            [("partner_id", "=", self.silent.id)]
        ).unlink()
        self._run(TODAY + timedelta(days=1))
        self.assertEqual(len(self._alerts(self.silent)), 2)

    def test_one_open_alert_enforced_by_database(self):
        alert = self._alert()
        vals = self.env["crm.churn.alert"]._prepare_alert_vals(
            {
                "partner_id": self.silent.id,
                "company_id": self.company.id,
                "score": 90,
                "level": "critical",
                "reason_data": [],
            },
            TODAY,
        )
        from psycopg2 import IntegrityError

        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.env["crm.churn.alert"].create(vals)
        self.assertEqual(self._alerts(self.silent), alert)

    def test_race_with_another_transaction_keeps_one_alert(self):
        """The alert another transaction opened since our snapshot wins."""
        from unittest.mock import patch

        alert = self._alert()
        Alert = self.env["crm.churn.alert"]
        candidate = {
            "partner_id": self.silent.id,
            "company_id": self.company.id,
            "score": 90,
            "level": "critical",
            "reason_data": [],
        }
        # Our snapshot does not see the other transaction's alert.
        with (
            patch.object(
                type(Alert), "search", lambda self, *args, **kwargs: self.browse()
            ),
            mute_logger("odoo.sql_db"),
        ):
            created = Alert._open_for([candidate], TODAY)
        self.assertFalse(created)
        self.assertEqual(self._alerts(self.silent), alert)

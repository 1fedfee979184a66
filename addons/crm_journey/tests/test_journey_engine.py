from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import TODAY, JourneyCommon


@tagged("post_install", "-at_install")
class TestJourneyEngine(JourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Ordered regularly, last order 90 days before TODAY: due tonight.
        cls.due = cls._customer("Due Customer", (90, 120, 150), user=cls.salesman)
        # Last order 60 days ago: not yet; 200 days ago: long past the day.
        cls.recent = cls._customer("Recent Customer", (60, 90))
        cls.long_gone = cls._customer("Long Gone", (200, 230))
        cls.partners = cls.due | cls.recent | cls.long_gone

    def _coupon_journey(self, **vals):
        return self._journey(
            "days_since_order",
            [
                {
                    "sequence": 10,
                    "kind": "coupon",
                    "coupon_program_id": self.coupon_program.id,
                    "coupon_mail_template_id": self.coupon_template.id,
                },
                {"sequence": 20, "kind": "wait", "wait_days": 14},
                {
                    "sequence": 30,
                    "kind": "activity",
                    "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                    "activity_summary": "Call about the coupon",
                },
            ],
            **vals,
        )

    def test_90_days_coupon_then_call(self):
        journey = self._coupon_journey()
        self._night()
        run = self._runs(journey)
        self.assertEqual(run.partner_id, self.due, "only the customer due tonight")
        self.assertEqual(run.entered_on, TODAY)
        self.assertEqual(run.order_count_at_entry, 3)
        # The coupon is issued, and its email queued with the unsubscribe
        # header and line.
        card = self.env["loyalty.card"].search(
            [
                ("program_id", "=", self.coupon_program.id),
                ("partner_id", "=", self.due.id),
            ]
        )
        self.assertEqual(len(card), 1)
        mail = self._mails_to(self.due)
        self.assertEqual(len(mail), 1)
        self.assertIn(card.code, mail.body_html)
        self.assertIn("/loyalty/unsubscribe", mail.body_html)
        self.assertIn("List-Unsubscribe", mail.headers)
        # Now waiting 14 days before the call.
        self.assertEqual(run.step_id.kind, "activity")
        self.assertEqual(run.next_date, TODAY + timedelta(days=14))
        # The next nights change nothing until then, and nobody enters twice.
        self._night(TODAY + timedelta(days=1))
        self.assertEqual(len(self._runs(journey)), 1)
        self.assertFalse(
            self.env["mail.activity"].search(
                [("res_model", "=", "res.partner"), ("res_id", "=", self.due.id)]
            )
        )
        self._night(TODAY + timedelta(days=14))
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.due.id)]
        )
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(activity.summary, "Call about the coupon")
        self.assertEqual(activity.date_deadline, TODAY + timedelta(days=15))
        self.assertEqual(run.state, "waiting")
        self.assertEqual(
            journey.step_ids.sorted("sequence").mapped("reached_count"), [1, 1, 1]
        )
        # The conversion window closes without an order.
        self._night(TODAY + timedelta(days=31))
        self.assertEqual(run.state, "done")
        self.assertFalse(run.converted)

    def test_an_order_ends_the_journey_as_a_conversion(self):
        journey = self._coupon_journey()
        self._night()
        run = self._runs(journey)
        self._orders(self.due, [-5], amount=250.0)  # 5 days after TODAY
        self._night(TODAY + timedelta(days=6))
        self.assertEqual(run.state, "done")
        self.assertEqual(run.exit_reason, "order")
        self.assertTrue(run.converted)
        self.assertEqual(run.converted_on, TODAY + timedelta(days=5))
        self.assertEqual(run.days_to_convert, 5)
        self.assertAlmostEqual(run.revenue, 250.0)
        self.assertEqual(journey.converted_count, 1)
        self.assertAlmostEqual(journey.revenue, 250.0)
        # Per step: the coupon and the wait reached him before he ordered.
        self.assertEqual(
            journey.step_ids.sorted("sequence").mapped("converted_count"), [1, 1, 0]
        )
        # The call never comes.
        self._night(TODAY + timedelta(days=14))
        self.assertFalse(
            self.env["mail.activity"].search(
                [("res_model", "=", "res.partner"), ("res_id", "=", self.due.id)]
            )
        )
        # A new silence of 90 days after that order enters it again, once
        # the period allows (here 30 days).
        journey.period_days = 30
        self._night(TODAY + timedelta(days=95))
        self.assertEqual(len(self._runs(journey)), 2)

    def test_control_group_goes_through_no_step_and_is_measured(self):
        customers = self.env["res.partner"]
        for index in range(40):
            customers |= self._customer(f"Control Pool {index}", (90, 120))
        journey = self._coupon_journey(control_share=50.0)
        self._night(partners=customers)
        runs = self._runs(journey)
        control = runs.filtered("is_control")
        treated = runs - control
        self.assertEqual(len(runs), 40)
        self.assertTrue(control and treated, "a 50% draw splits 40 customers")
        # Drawn by a stable hash: the same again for the same journey.
        from ..tools import stats

        for run in runs:
            self.assertEqual(
                run.is_control,
                stats.in_control_group(journey.id, run.partner_id.id, 50.0),
            )
        cards = self.env["loyalty.card"].search(
            [
                ("program_id", "=", self.coupon_program.id),
                ("partner_id", "in", customers.ids),
            ]
        )
        self.assertEqual(cards.partner_id, treated.partner_id)
        self.assertTrue(all(run.state == "waiting" for run in control))
        # Control customers who order count as the control's conversions.
        for partner in control[:2].partner_id:
            self._orders(partner, [-3])
        self._night(TODAY + timedelta(days=4), partners=customers)
        self.assertEqual(journey.control_converted_count, 2)
        self.assertEqual(journey.converted_count, 0)
        self.assertIn("control group", journey.result_text)

    def test_branch_on_ordered_since_entering(self):
        followup = self.env["crm.journey.step"]
        journey = self._journey(
            "days_since_order",
            [
                {"sequence": 10, "kind": "wait", "wait_days": 7},
                {"sequence": 20, "kind": "branch"},
                {
                    "sequence": 30,
                    "kind": "email",
                    "mail_template_id": self.welcome_template.id,
                },
            ],
            exit_on_order=False,
        )
        followup = journey.step_ids.sorted("sequence")
        self._night()
        run = self._runs(journey)
        self._orders(self.due, [-2])
        self._night(TODAY + timedelta(days=3))
        # Counted as a conversion, but the journey goes on.
        self.assertTrue(run.converted)
        self.assertEqual(run.state, "running")
        self._night(TODAY + timedelta(days=7))
        # Ordered: the branch without a target ends the journey; no email.
        self.assertEqual(run.state, "done")
        self.assertFalse(self._mails_to(self.due))
        self.assertEqual(followup[1].reached_count, 1)
        self.assertEqual(followup[2].reached_count, 0)

    def test_bonus_points_through_the_ledger_once(self):
        program = self.env["loyalty.program"].search(
            [
                ("crm_ledger_managed", "=", True),
                ("company_id", "in", (self.company.id, False)),
            ],
            limit=1,
        )
        self.assertTrue(program, "crm_loyalty's demo or data has a ledger program")
        journey = self._journey(
            "days_since_order",
            [
                {
                    "sequence": 10,
                    "kind": "points",
                    "points": 50,
                    "points_program_id": program.id,
                }
            ],
        )
        self._night()
        run = self._runs(journey)
        entries = self.env["crm.loyalty.entry"].search(
            [
                ("source_model", "=", "crm.journey.participant"),
                ("source_id", "=", run.id),
            ]
        )
        self.assertEqual(entries.mapped("points"), [50.0])
        self.assertEqual(entries.entry_type, "bonus")
        self.assertIn(journey.name, entries.reason_display)
        # Running the step again posts nothing more (the key).
        journey.step_ids._execute(run, TODAY)
        self.assertEqual(
            self.env["crm.loyalty.entry"].search_count(
                [
                    ("source_model", "=", "crm.journey.participant"),
                    ("source_id", "=", run.id),
                ]
            ),
            1,
        )

    def test_start_needs_steps_and_ready_journeys_are_drafts(self):
        empty = self.env["crm.journey"].create({"name": "Empty", "trigger": "stage"})
        with self.assertRaises(UserError):
            empty.action_start()
        ready = self.env.ref("crm_journey.journey_no_repurchase_90")
        self.assertEqual(ready.state, "draft")
        self.assertEqual(ready.trigger_days, 90)
        self.assertEqual(
            ready.step_ids.sorted("sequence").mapped("kind"),
            ["coupon", "wait", "activity"],
        )

    def test_the_nightly_run_processes_the_batches(self):
        """Run now: the engine's run over every customer with a profile."""
        journey = self._coupon_journey()
        self.env["crm.lifecycle.profile"]._refresh_partners(
            self.partners.ids, as_of=TODAY
        )
        with freeze_time(TODAY):
            self.env["crm.journey.run"].action_run_now()
        run = self.env["crm.journey.run"].search([], limit=1)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.entered_count, 1)
        self.assertEqual(self._runs(journey).partner_id, self.due)
        self.assertEqual(journey.last_run_on, TODAY)

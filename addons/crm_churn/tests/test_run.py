import gc
from datetime import date, datetime, time, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.crm_lifecycle.tests.common import index_scans

from .common import TODAY, ChurnCommon


@tagged("post_install", "-at_install")
class TestChurnRun(ChurnCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Ordered every month until 10 days before TODAY: healthy today,
        # silent for 130 days four months later.
        cls.fading = cls._customer("Fading Customer", cls.salesman, monthly_until=10)
        cls.healthy = cls._customer("Healthy Customer", cls.salesman, monthly_until=5)
        cls.partners = cls.fading | cls.healthy

    def test_scores_reasons_and_mirror(self):
        self._run(TODAY)
        risk = self._risk(self.fading)
        self.assertEqual(risk.level, "low")
        later = TODAY + timedelta(days=120)
        self._orders(self.healthy, [3, 35, 65, 95, 115], today=later)
        self._run(later)
        risk = self._risk(self.fading)
        self.assertIn(risk.level, ("high", "critical"))
        self.assertGreaterEqual(risk.score, self.company.churn_high_threshold)
        with freeze_time(datetime.combine(later, time(12))):
            risk.invalidate_recordset(["reasons"])
            self.assertIn("no order for 130 days", risk.reasons)
            self.assertIn("usually orders every 30 days", risk.reasons)
        # The reason counts the days to the day it is read, without a run.
        with freeze_time(datetime.combine(later + timedelta(days=3), time(12))):
            risk.invalidate_recordset(["reasons"])
            self.assertIn("no order for 133 days", risk.reasons)
        # Mirrored on the partner, company-dependent.
        partner = self.fading.with_company(self.company)
        self.assertEqual(partner.churn_risk_score, risk.score)
        self.assertEqual(partner.churn_risk_level, risk.level)
        self.assertEqual(partner.churn_risk_id, risk)
        self.assertEqual(self._risk(self.healthy).level, "low")
        # History keeps the trend: the first score and the jump.
        history = self.env["crm.churn.risk.history"].search(
            [("partner_id", "=", self.fading.id)], order="date"
        )
        self.assertEqual(history.mapped("date"), [TODAY, later])
        self.assertEqual(history[-1].score, risk.score)

    def test_rescoring_the_same_day_writes_nothing(self):
        """PostgreSQL compares each new score row with the stored one (score,
        level, reasons, change, pending alert): scoring the same facts again
        rewrites no row, and the partner keeps its mirror."""
        written, _risen = self._score()
        self.assertEqual(written, 2)
        written, _risen = self._score()
        self.assertEqual(written, 0)
        risk = self._risk(self.fading)
        partner = self.fading.with_company(self.company)
        self.assertEqual(partner.churn_risk_score, risk.score)
        self.assertEqual(partner.churn_risk_level, risk.level)
        # Four months of silence later, both scores have moved.
        written, _risen = self._score(TODAY + timedelta(days=120))
        self.assertEqual(written, 2)

    def test_overdue_counts_days_to_the_churn_night(self):
        """A profile the lifecycle run found unchanged keeps the day it was
        last written: the silence is counted to the churn night, not read
        from the profile as it was then."""
        Profile = self.env["crm.lifecycle.profile"]
        Profile._refresh_partners(self.fading.ids, as_of=TODAY)
        later = TODAY + timedelta(days=120)
        self.env["crm.churn.risk"]._score_partners(self.fading.ids, later)
        risk = self._risk(self.fading)
        self.assertEqual(risk.strengths["overdue"], 1.0)
        last_order = TODAY - timedelta(days=10)
        self.assertEqual(dict(risk.reason_data)["overdue"]["since"], str(last_order))
        with freeze_time(datetime.combine(later, time(12))):
            risk.invalidate_recordset(["reasons"])
            self.assertIn("no order for 130 days", risk.reasons)

    def test_reasons_stored_with_a_day_count_keep_it(self):
        """Rows scored before the reasons carried dates still read, with the
        count of their night, until the next run rewrites them."""
        risk = self.env["crm.churn.risk"].create(
            {
                "partner_id": self.fading.id,
                "company_id": self.company.id,
                "score": 70,
                "level": "high",
                "reason_data": [
                    ["overdue", {"days": 120, "gap": 30}],
                    ["no_redemption", {"days": 400}],
                ],
            }
        )
        self.assertIn("no order for 120 days", risk.reasons)
        self.assertIn("no points redeemed for 400 days", risk.reasons)

    def test_a_quiet_night_leaves_the_score_row_alone(self):
        """A customer whose facts did not change keeps the same reasons
        the next night (they carry dates, not day counts), so the night
        rewrites nothing: no row, no history, no mirror."""
        self.env["crm.lifecycle.profile"]._refresh_partners(
            self.fading.ids, as_of=TODAY
        )
        later = TODAY + timedelta(days=120)
        Risk = self.env["crm.churn.risk"]
        Risk._score_partners(self.fading.ids, later)
        risk = self._risk(self.fading)
        self.assertEqual(risk.scored_on, later)
        reasons = dict(risk.reason_data)
        self.assertIn("overdue", reasons)
        written, _risen = Risk._score_partners(self.fading.ids, later + timedelta(1))
        self.assertEqual(written, 0)
        risk.invalidate_recordset()
        self.assertEqual(risk.scored_on, later)
        self.assertEqual(dict(risk.reason_data), reasons)

    def test_signals_read_orders_and_ledger_from_covering_indexes(self):
        """The churn signals read a batch's orders, entries and open lots
        from covering indexes alone (see SaleOrder._lifecycle_facts_index
        and the init of crm.loyalty.entry and crm.loyalty.lot): a column one
        of them lacks costs a page of the table a row."""
        Risk = self.env["crm.churn.risk"]
        query = Risk._gather_query(
            self.partners.ids, TODAY, self.env["res.company"].search([])
        )
        for table, index in (
            ("sale_order", "sale_order_crm_lifecycle_facts_idx"),
            ("crm_loyalty_entry", "crm_loyalty_entry_partner_idx"),
            ("crm_loyalty_lot", "crm_loyalty_lot_open_partner_idx"),
        ):
            scans = index_scans(self.env, query, table, index)
            self.assertTrue(scans, index)
            for scan in scans:
                self.assertIn(f"Index Only Scan using {index}", scan)

    def test_one_alert_when_crossing_and_none_on_second_run(self):
        self._run(TODAY)
        self.assertFalse(self._alerts(self.fading))
        later = TODAY + timedelta(days=120)
        self._orders(self.healthy, [3, 35, 65, 95, 115], today=later)
        run = self._run(later)
        alert = self._alerts(self.fading)
        self.assertEqual(len(alert), 1)
        self.assertGreaterEqual(run.alerts_created, 1)
        self.assertEqual(alert.stage, "new")
        self.assertEqual(alert.user_id, self.salesman)
        self.assertEqual(alert.team_id, self.team)
        self.assertEqual(alert.alert_date, later)
        # Why it was raised, counted to that day whenever it is read.
        self.assertIn("no order for 130 days", alert.reasons)
        self.assertFalse(self._alerts(self.healthy))
        # The salesperson got a call activity with a deadline by severity.
        activity = alert.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(activity.date_deadline, alert.deadline)
        # Run twice the same day: nothing new. The cron asks for the run of
        # its user's today, so the clock is set to that day (at noon, the
        # same date in every timezone of Europe).
        with freeze_time(datetime.combine(later, time(12))):
            self.assertFalse(self.env["crm.churn.run"]._current_run())
        # A forced run, and the next nights: still one alert.
        self._run(later)
        self._run(later + timedelta(days=1))
        self._run(later + timedelta(days=2))
        self.assertEqual(len(self._alerts(self.fading)), 1)
        self.assertEqual(len(alert.activity_ids), 1)

    def test_second_run_the_same_day_replaces_only_its_history_rows(self):
        """A run repeated the same day replaces the history rows of the
        customers and companies it records, and no others."""
        History = self.env["crm.churn.risk.history"]
        other = self.env["res.company"].create({"name": "Second history company"})
        later = TODAY + timedelta(days=1)
        fading, healthy = self.fading.id, self.healthy.id

        def row(partner_id, company_id, score):
            return {
                "partner_id": partner_id,
                "company_id": company_id,
                "score": score,
                "level": "low",
            }

        History._record(
            [
                row(fading, self.company.id, 10),
                row(fading, other.id, 20),
                row(healthy, self.company.id, 30),
            ],
            later,
        )
        History._record([row(fading, self.company.id, 11)], later)
        scores = {
            (h.partner_id.id, h.company_id.id): h.score
            for h in History.search([("date", "=", later)])
            if h.partner_id.id in (fading, healthy)
        }
        self.assertEqual(
            scores,
            {
                (fading, self.company.id): 11,
                (fading, other.id): 20,
                (healthy, self.company.id): 30,
            },
        )

    def test_deadline_by_severity(self):
        Alert = self.env["crm.churn.alert"]
        friday = TODAY + timedelta(days=4)
        vals = Alert._prepare_alert_vals(
            {
                "partner_id": self.fading.id,
                "company_id": self.company.id,
                "score": 90,
                "level": "critical",
                "reason_data": [],
            },
            friday,
        )
        self.assertEqual(vals["deadline"], friday + timedelta(days=3))  # Monday
        self.company.churn_high_deadline_days = 3
        vals = Alert._prepare_alert_vals(
            {
                "partner_id": self.fading.id,
                "company_id": self.company.id,
                "score": 65,
                "level": "high",
                "reason_data": [],
            },
            friday,
        )
        self.assertEqual(vals["deadline"], friday + timedelta(days=5))  # Wednesday

    def test_no_salesperson_goes_to_team_leader(self):
        orphan = self._customer("Orphan Customer", None, monthly_until=130)
        orphan.user_id = False
        self.env["crm.team"].search(
            [("id", "!=", self.team.id), ("user_id", "!=", False)]
        ).write({"sequence": 1000})
        self.team.sequence = 0
        self._run(TODAY, partners=orphan)
        alert = self._alerts(orphan)
        self.assertEqual(len(alert), 1)
        self.assertTrue(alert.user_id, "a team leader takes the alert")
        self.assertEqual(alert.activity_ids.user_id, alert.user_id)

    def test_cap_defers_the_least_urgent(self):
        customers = self.env["res.partner"]
        for index in range(4):
            customers |= self._customer(
                f"Silent {index}",
                self.salesman,
                monthly_until=130,
                amount=100.0 * (index + 1),
            )
        self.env["crm.churn.alert"].search(
            [("alert_date", "=", TODAY), ("company_id", "=", self.company.id)]
        ).unlink()
        self.company.churn_alert_cap = 2
        run = self._run(TODAY, partners=customers)
        alerted = self.env["crm.churn.alert"].search(
            [("partner_id", "in", customers.ids)]
        )
        self.assertEqual(len(alerted), 2)
        self.assertGreaterEqual(run.alerts_deferred, 2)
        # The most valuable customers (all at the same level) come first.
        self.assertEqual(
            set(alerted.partner_id.mapped("name")), {"Silent 2", "Silent 3"}
        )
        deferred = customers - alerted.partner_id
        self.assertTrue(all(self._risk(p).alert_pending for p in deferred))
        # The next night opens the deferred ones, without duplicates.
        run = self._run(TODAY + timedelta(days=1), partners=customers)
        alerted = self.env["crm.churn.alert"].search(
            [("partner_id", "in", customers.ids)]
        )
        self.assertEqual(len(alerted), 4)
        self.assertEqual(len(alerted.partner_id), 4)

    def test_resumes_after_interrupted_batch(self):
        silent = self._customer("Silent resumable", self.salesman, monthly_until=130)
        partners = self.partners | silent
        self.env["crm.lifecycle.profile"]._refresh_partners(partners.ids, as_of=TODAY)
        run = self.env["crm.churn.run"].create({"as_of": TODAY})
        run._process_batch(batch_size=1)
        self.assertEqual(run.state, "running")
        first_cursor = run.cursor
        self.assertTrue(first_cursor)
        # A new cron call picks up the same run after the cursor.
        self.assertEqual(self.env["crm.churn.run"]._current_run(), run)
        while run.state == "running":
            run._process_batch(batch_size=50)
        self.assertEqual(run.state, "done")
        self.assertGreater(run.cursor, first_cursor)
        self.assertEqual(len(self._alerts(silent)), 1)

    def test_batches_score_with_the_garbage_collector_paused(self):
        """Scoring a batch runs without the cyclic collector (see
        the engine's ``collector_paused``), on again afterwards."""
        self.env["crm.lifecycle.profile"]._refresh_partners(
            self.partners.ids, as_of=TODAY
        )
        Risk = type(self.env["crm.churn.risk"])
        score = Risk._score_partners
        seen = []

        def spy(risk, *args, **kwargs):
            seen.append(gc.isenabled())
            return score(risk, *args, **kwargs)

        run = self.env["crm.churn.run"].create({"as_of": TODAY})
        with patch.object(Risk, "_score_partners", spy):
            while run.state == "running":
                run._process_batch(batch_size=50)
        self.assertTrue(seen)
        self.assertFalse(any(seen))
        self.assertTrue(gc.isenabled())
        self.assertTrue(self._risk(self.fading))

    def test_open_alert_is_raised_not_duplicated(self):
        self._run(TODAY + timedelta(days=120))
        alert = self._alerts(self.fading)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.level, "high")
        self._run(TODAY + timedelta(days=400))
        alerts = self._alerts(self.fading)
        self.assertEqual(alerts, alert)
        self.assertEqual(alert.level, "critical")
        self.assertGreaterEqual(alert.score, self.company.churn_critical_threshold)

    def test_waits_for_lifecycle_run(self):
        self.env["crm.lifecycle.run"].search([("state", "=", "running")]).write(
            {"state": "done"}
        )
        lifecycle = self.env["crm.lifecycle.run"].create({"as_of": TODAY})
        self.assertEqual(lifecycle.state, "running")
        runs_before = self.env["crm.churn.run"].search_count([])
        self.env["crm.churn.run"]._cron_nightly()
        self.assertEqual(self.env["crm.churn.run"].search_count([]), runs_before)

    def test_deferred_customers_leave_the_queue_after_a_week(self):
        customers = self.env["res.partner"]
        for index in range(3):
            customers |= self._customer(
                f"Queued {index}", self.salesman, monthly_until=200
            )
        self.company.churn_alert_cap = 1
        self._run(TODAY, partners=customers)
        alerted = self.env["crm.churn.alert"].search(
            [("partner_id", "in", customers.ids)]
        )
        self.assertEqual(len(alerted), 1)
        self.company.churn_alert_cap = 0
        run = self._run(TODAY + timedelta(days=1), partners=customers)
        self.assertEqual(run.alerts_created, 0)
        self.assertEqual(run.alerts_deferred, 2, "a full cap still counts who waits")
        self._run(TODAY + timedelta(days=8), partners=customers)
        waiting = customers - alerted.partner_id
        self.assertFalse(any(self._risk(p).alert_pending for p in waiting))
        self.company.churn_alert_cap = 10
        self._run(TODAY + timedelta(days=9), partners=customers)
        self.assertEqual(
            len(
                self.env["crm.churn.alert"].search(
                    [("partner_id", "in", customers.ids)]
                )
            ),
            1,
            "customers out of the queue wait for their level to rise again",
        )

    def test_loyalty_signals_from_the_ledger(self):
        """Expiring lots and a long time without redemption reach the score."""
        day = date.today()
        member = self.env["res.partner"].create(
            {"name": "Loyal member", "is_company": True, "user_id": self.salesman.id}
        )
        self._orders(member, [20 + 30 * i for i in range(10)], today=day)
        program = self.env["loyalty.program"].create(
            {
                "name": "Churn signal points",
                "program_type": "loyalty",
                "crm_expiry_policy": "months",
                "crm_expiry_months": 1,
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount": 5,
                            "discount_mode": "per_order",
                            "required_points": 1000,
                        }
                    )
                ],
            }
        )
        card = self.env["loyalty.card"].create(
            {"program_id": program.id, "partner_id": member.id}
        )
        Entry = self.env["crm.loyalty.entry"]
        # Old points, never redeemed, and a lot expiring in about 20 days.
        now = datetime.now()
        Entry._post(card, "earn", 50.0, "churn-old", date=now - timedelta(days=400))
        Entry._post(card, "earn", 150.0, "churn-new", date=now - timedelta(days=10))
        self._score(day, partners=member)
        risk = self._risk(member)
        lots = self.env["crm.loyalty.lot"].search([("card_id", "=", card.id)])
        expiring = sum(
            lot.remaining
            for lot in lots
            if lot.expiry_date and lot.expiry_date <= day + timedelta(days=30)
        )
        self.assertTrue(expiring)
        self.assertAlmostEqual(
            risk.strengths["points_expiring"], round(expiring / card.points, 3)
        )
        self.assertEqual(risk.strengths["no_redemption"], 1.0)
        self.company.churn_redemption_days = 2000
        self._score(day, partners=member)
        self.assertEqual(self._risk(member).strengths["no_redemption"], 0.0)

    def test_ratings_count_only_where_the_ratings_app_is_installed(self):
        self._score(TODAY + timedelta(days=120), partners=self.fading)
        risk = self._risk(self.fading)
        if "rating.rating" not in self.env:
            self.assertNotIn("rating", risk.strengths)
            return
        model_id = self.env["ir.model"]._get_id("res.partner")
        self.env["rating.rating"].create(
            [
                {
                    "partner_id": self.fading.id,
                    "rating": value,
                    "consumed": True,
                    "res_model_id": model_id,
                    "res_id": self.fading.id,
                }
                for value in (1.0, 2.0)
            ]
        )
        self._score(TODAY + timedelta(days=120), partners=self.fading)
        self.assertAlmostEqual(self._risk(self.fading).strengths["rating"], 0.833)

    def test_tier_at_risk_follows_the_pace_of_the_year(self):
        """A member with none of the points needed to keep the tier, three
        quarters into a calendar year, is fully at risk; in January, not yet."""
        tier = self.env["crm.loyalty.tier"].search(
            [("company_id", "=", self.company.id), ("retention_threshold", ">", 0)],
            order="threshold",
            limit=1,
        )
        self.company.loyalty_tier_window = "calendar"
        self.fading.with_company(self.company).loyalty_tier_id = tier
        autumn = date(2026, 10, 15)
        self._score(autumn, partners=self.fading)
        risk = self._risk(self.fading)
        self.assertEqual(risk.strengths["tier_at_risk"], 1.0)
        january = date(2027, 1, 20)
        self._score(january, partners=self.fading)
        self.assertNotIn("tier_at_risk", self._risk(self.fading).strengths)

from datetime import timedelta

from odoo.tests import freeze_time, tagged

from .common import TODAY, DashboardCommon


@tagged("post_install", "-at_install")
class TestKpiThresholds(DashboardCommon):
    """A KPI that crosses its line gives each sales manager of the company
    one activity, not one more while it stays crossed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Repurchase: 1 repeat buyer out of 4 = 25 %, under the 30 % line;
        # the other lines are off.
        partners = (
            cls._customer("KPI R1", [10, 40])
            | cls._customer("KPI R2", [15])
            | cls._customer("KPI R3", [25])
            | cls._customer("KPI R4", [35])
        )
        cls.env["crm.lifecycle.profile"]._refresh_partners(partners.ids, as_of=TODAY)
        cls.company.write(
            {
                "lifecycle_kpi_churn_warning": 0.0,
                "lifecycle_kpi_repurchase_healthy": 30.0,
                "lifecycle_kpi_nps_good": -100.0,
            }
        )

    def test_one_activity_per_crossing(self):
        day1 = self._snapshot(TODAY)
        self.assertAlmostEqual(day1.repurchase_rate, 25.0)
        self.assertEqual(day1.crossed_rules, "repurchase")
        activity = self._activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.manager)
        self.assertEqual(activity.res_id, day1.id)
        self.assertIn("25.0%", str(activity.note))
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo")
        )
        # Recomputed the same day, and the next two days: still crossed.
        self._snapshot(TODAY)
        self._snapshot(TODAY + timedelta(days=1))
        self._snapshot(TODAY + timedelta(days=2))
        self.assertEqual(len(self._activities()), 1)
        # Back above the line (the line moves), then crossed again: told again.
        self.company.lifecycle_kpi_repurchase_healthy = 20.0
        day3 = self._snapshot(TODAY + timedelta(days=3))
        self.assertFalse(day3.crossed_rules)
        self.company.lifecycle_kpi_repurchase_healthy = 30.0
        day4 = self._snapshot(TODAY + timedelta(days=4))
        self.assertEqual(day4.crossed_rules, "repurchase")
        self.assertEqual(len(self._activities()), 2)
        self.assertEqual(len(self._activities(day4)), 1)

    def test_compute_now_over_several_days(self):
        """The manager's button and the cron, on frozen days."""
        for offset in range(3):
            with freeze_time(TODAY + timedelta(days=offset)):
                self.Kpi.with_user(self.manager).with_company(
                    self.company
                ).action_compute_now()
        with freeze_time(TODAY + timedelta(days=3)):
            self.Kpi._cron_compute()
        rows = self.Kpi.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(rows), 4)
        self.assertEqual(len(self._activities()), 1)
        self.assertEqual(rows.filtered("is_latest").date, TODAY + timedelta(days=3))

    def test_the_cron_waits_for_the_nightly_runs(self):
        run = self.env["crm.churn.run"].create({"as_of": TODAY})
        self.assertEqual(run.state, "running")
        with freeze_time(TODAY):
            self.Kpi._cron_compute()
            self.assertFalse(self.Kpi.search([("company_id", "=", self.company.id)]))
            run.state = "done"
            self.Kpi._cron_compute()
        self.assertTrue(self.Kpi.search([("company_id", "=", self.company.id)]))

    def test_a_new_line_crossed_is_told_with_its_own_text(self):
        self._snapshot(TODAY)
        self.company.lifecycle_kpi_churn_warning = 5.0
        # No churn base: the churn line cannot be crossed by a missing rate.
        day = self._snapshot(TODAY + timedelta(days=1))
        self.assertEqual(day.crossed_rules, "repurchase")
        self.assertEqual(len(self._activities()), 1)

    def test_lines_are_checked(self):
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError):
            self.company.lifecycle_kpi_churn_warning = 120.0
        with self.assertRaises(ValidationError):
            self.company.lifecycle_kpi_nps_good = -101.0
        with self.assertRaises(ValidationError):
            self.company.lifecycle_kpi_point_value = -1.0

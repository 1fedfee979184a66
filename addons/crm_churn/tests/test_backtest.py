from datetime import timedelta
from unittest.mock import patch

import numpy as np

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged
from odoo.tools import SQL

from ..tools import backtest, scoring
from .common import TODAY, ChurnCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestChurnBacktest(ChurnCommon):
    """The score replayed on past days of a company of its own, whose
    customers' fate is known: regulars who keep buying, and customers who
    stopped before each replayed day."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = cls.env["res.company"].create({"name": "Backtest Co"})
        cls.shop.churn_backtest_days = 180
        cls.as_of = TODAY - timedelta(days=180)
        cls.fit_day = TODAY - timedelta(days=360)
        # (how many, last order days before TODAY): regulars buy every 30
        # days; the others stopped 60 days before a replayed day, or long
        # before (Churned on the later day: a win-back case).
        groups = [(150, 0), (60, 420), (60, 240), (30, 600)]
        cls.customers = {}
        for count, stop in groups:
            partners = cls.env["res.partner"].create(
                [
                    {"name": f"Backtest {stop} {i}", "is_company": True}
                    for i in range(count)
                ]
            )
            cls.customers[stop] = partners
            cls._insert_orders(partners, stop, cls.shop)

    @classmethod
    def _insert_orders(cls, partners, stop, company):
        """Orders every 30 days for two years up to ``stop`` days ago, in one
        statement: the backtest reads purchases, not how they were made."""
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                """
                INSERT INTO sale_order (name, partner_id, partner_invoice_id,
                                        partner_shipping_id, company_id, state,
                                        date_order, amount_untaxed, currency_rate)
                SELECT 'BT-' || p || '-' || d, p, p, p, %(company)s, 'sale',
                       %(today)s::date - d, 100, 1
                  FROM unnest(%(partners)s::int[]) AS p,
                       generate_series(%(stop)s, 720, 30) AS d
                """,
                company=company.id,
                today=TODAY,
                partners=partners.ids,
                stop=stop,
            )
        )

    def _run(self):
        return (
            self.env["crm.churn.backtest"].with_company(self.shop)._run_for(self.shop)
        )

    def test_backtest_measures_the_score_on_known_outcomes(self):
        run = self._run()
        self.assertEqual(run.state, "done")
        self.assertEqual(run.as_of, self.as_of)
        self.assertEqual(run.fit_day, self.fit_day)
        # On the replayed day: those who had bought; lost are those who
        # stopped 60 days before it and those who stopped long before.
        self.assertEqual(run.customer_count, 300)
        self.assertEqual(run.lost_count, 150)
        self.assertAlmostEqual(run.base_rate, 50.0, places=1)
        # Overdue customers are easy to tell from regulars.
        self.assertGreater(run.auc_score, 0.9)
        # The 60 most at risk were all lost: 40% of the 150 lost customers.
        self.assertAlmostEqual(run.top20_capture, 40.0, places=1)
        self.assertTrue(run.bin_ids)
        self.assertEqual(sum(run.bin_ids.mapped("count")), 300)
        self.assertIn("300 customers", run.summary)
        # Alerts reach savable customers only: the 30 silent for 420 days
        # (Churned) are win-back cases, whatever their score. Those alerted
        # had 125 days left before turning Churned (silent 240 days) or 305
        # (silent 60).
        self.assertTrue(0 < run.alert_count <= 120)
        self.assertEqual(run.alert_precision, 100.0)
        self.assertTrue(125 <= run.alert_lead_days <= 305)
        calibration = self.shop.churn_calibration
        self.assertEqual(calibration["backtest_id"], run.id)
        self.assertTrue(calibration["curve"])
        # Learned on the earlier day, checked on the later one.
        self.assertTrue(run.weights_learned)
        self.assertAlmostEqual(sum(run.weights_learned.values()), 100.0, places=3)

    def test_the_nightly_score_is_the_calibrated_probability(self):
        """After a backtest, a customer's score is the share of such
        customers who were lost: the overdue ones score near 100, the
        regulars near 0; with the managers' weights changed since, the
        curve no longer applies."""
        self._run()
        Risk = self.env["crm.churn.risk"]
        overdue = self.customers[240][:1]
        regular = self.customers[0][:1]
        self.env["crm.lifecycle.profile"]._refresh_partners(
            (overdue | regular).ids, as_of=TODAY
        )
        Risk._score_partners((overdue | regular).ids, as_of=TODAY)
        risks = Risk.search([("partner_id", "in", (overdue | regular).ids)])
        by_partner = {risk.partner_id: risk for risk in risks}
        self.assertGreaterEqual(by_partner[overdue].score, 90)
        self.assertLessEqual(by_partner[regular].score, 10)
        # The exact probability is stored beside its whole percent, and the
        # list sorts on it where the value at risk ties.
        for risk in risks:
            self.assertAlmostEqual(risk.score_exact, risk.score, delta=0.5)
        self.assertEqual(Risk._order, "value_at_risk desc, score_exact desc, id")
        self.assertIn(
            f"About {by_partner[overdue].score} in 100 such customers bought "
            "nothing within 180 days",
            by_partner[overdue].score_meaning,
        )
        self.shop.churn_weights_source = "manual"
        weights = Risk._company_weights(self.shop)
        signal = self.env["crm.churn.signal"].search([("weight", ">", 0)], limit=1)
        signal.weight += 1
        self.assertIsNone(
            Risk._company_calibration(self.shop, Risk._company_weights(self.shop))
        )
        risks.invalidate_recordset(["score_meaning"])
        self.assertIn("no backtest has calibrated", by_partner[overdue].score_meaning)
        self.assertNotEqual(weights, Risk._company_weights(self.shop))

    def test_manual_weights_are_kept(self):
        self.shop.churn_weights_source = "manual"
        run = self._run()
        self.assertFalse(run.weights_adopted)
        self.assertFalse(self.shop.churn_learned_weights)
        self.assertEqual(
            self.env["crm.churn.risk"]._company_weights(self.shop),
            self.env["crm.churn.signal"]._weights(),
        )

    def _replays(self, expected_missing=False):
        """Two replays of 400 customers where the purchase model's expected
        purchases tell the lost apart on both days, while the lifecycle
        stage does on the earlier day only (a young clientele ages): the
        weights learned there lean on the stage and fail on the later day."""
        rng = np.random.default_rng(11)

        def replay(stage_informative):
            expected = rng.gamma(0.6, 1.0, 400)
            y = (rng.uniform(size=400) < np.exp(-2 * expected)).astype(float)
            stage = np.where(
                y == 1 if stage_informative else rng.uniform(size=400) < 0.5,
                "dormant",
                "active",
            )
            facts = [
                {"expected_purchases_90": e, "stage": st}
                for e, st in zip(expected, stage, strict=True)
            ]
            if expected_missing:
                facts[0]["expected_purchases_90"] = None
            X, _signals = backtest.signal_matrix([scoring.strengths(f) for f in facts])
            return {
                "X": X,
                "y": y,
                "prob_alive": np.full(400, np.nan),
                "expected": expected,
                "silent": np.full(400, 30.0),
                "lost": np.zeros(400, dtype=bool),
            }

        days = {self.as_of: replay(False), self.fit_day: replay(True)}
        return lambda run, day, horizon: days[day]

    def test_the_purchase_model_alone_scores_when_it_ranks_best(self):
        """Of the weights in force, the learned ones and the purchase model
        alone, the later day's best ranking scores the customers: here the
        purchase model, so the score is never worse than the model it is
        built on."""
        Backtest = type(self.env["crm.churn.backtest"])
        with patch.object(Backtest, "_replay", self._replays()):
            run = self._run()
        self.assertEqual(run.state, "done")
        self.assertGreater(run.weights_learned["stage"], 50)
        self.assertGreater(run.auc_purchase_model, run.auc_learned + 0.05)
        self.assertGreater(run.auc_purchase_model, run.auc_current)
        self.assertEqual(run.weights_choice, "purchase_model")
        self.assertTrue(run.weights_adopted)
        self.assertEqual(self.shop.churn_learned_weights, {"few_purchases_90": 100.0})
        weights = self.env["crm.churn.risk"]._company_weights(self.shop)
        self.assertEqual(weights["few_purchases_90"], 100.0)
        self.assertEqual(weights["stage"], 0.0)
        self.assertEqual(
            self.env["crm.churn.risk"]._company_calibration(self.shop, weights),
            self.shop.churn_calibration["curve"],
        )
        # The stored score ranks as the purchase model does.
        self.assertAlmostEqual(run.auc_score, run.auc_purchase_model, places=2)
        self.assertIn("purchase model alone", run.summary)
        # The managers may keep their own weights.
        self.shop.churn_weights_source = "manual"
        with patch.object(Backtest, "_replay", self._replays()):
            run = self._run()
        self.assertEqual(run.weights_choice, "current")
        self.assertIn("the weights in force are kept", run.summary)

    def test_no_purchase_model_candidate_without_a_prediction_for_everyone(self):
        Backtest = type(self.env["crm.churn.backtest"])
        with patch.object(Backtest, "_replay", self._replays(expected_missing=True)):
            run = self._run()
        self.assertFalse(run.auc_purchase_model)
        self.assertNotEqual(run.weights_choice, "purchase_model")

    def test_too_few_customers_is_not_meaningful(self):
        small = self.env["res.company"].create({"name": "Backtest Small Co"})
        partners = self.env["res.partner"].create(
            [{"name": f"Small {i}", "is_company": True} for i in range(10)]
        )
        self._insert_orders(partners, 0, small)
        run = self.env["crm.churn.backtest"]._run_for(small)
        self.assertEqual(run.state, "not_meaningful")
        self.assertEqual(run.customer_count, 10)
        self.assertIn("Only 10 customers", run.note)
        self.assertFalse(small.churn_calibration)

    def test_alert_the_most_at_risk(self):
        run = self._run()
        self.manager.company_ids |= self.shop
        run.with_user(self.manager).with_company(self.shop).action_alert_top_share()
        high = self.shop.churn_high_threshold
        self.assertEqual(high, min(max(run.threshold_top10, 41), 99))
        self.assertLess(self.shop.churn_medium_threshold, high)
        self.assertGreater(self.shop.churn_critical_threshold, high)

    def test_backtests_are_the_managers_of_their_company(self):
        run = self._run()
        with self.assertRaises(AccessError):
            run.with_user(self.salesman).read(["auc_score"])
        with self.assertRaises(AccessError):
            run.with_user(self.salesman).action_alert_top_share()
        self.manager.company_ids = self.env.company
        self.assertFalse(
            self.env["crm.churn.backtest"]
            .with_user(self.manager)
            .search([("id", "=", run.id)])
        )

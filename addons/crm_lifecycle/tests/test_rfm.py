from datetime import timedelta

from odoo.tests import freeze_time, tagged

from .common import TODAY, LifecycleCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestRfm(LifecycleCommon):
    def test_quintiles_and_segments(self):
        # Five customers, each better than the previous on R, F and M.
        customers = [
            self._customer(
                f"Rank {rank}",
                [300 - 50 * rank + 7 * i for i in range(rank)],
                [100.0 * rank] * rank,
            )
            for rank in range(1, 6)
        ]
        self._recompute()
        profiles = [self._profile(c) for c in customers]
        self.assertEqual([p.rfm_m for p in profiles], [1, 2, 3, 4, 5])
        self.assertEqual([p.rfm_f for p in profiles], [1, 2, 3, 4, 5])
        self.assertEqual([p.rfm_r for p in profiles], [1, 2, 3, 4, 5])
        self.assertEqual(profiles[4].rfm_segment, "champions")
        self.assertEqual(customers[4].rfm_segment, "champions")
        self.assertEqual(profiles[0].rfm_segment, "lost")
        self.assertEqual(profiles[4].value_class, "high_value")
        self.assertEqual(profiles[4].rfm_score, "555")

    def test_ties_share_a_score(self):
        twins = [self._customer(f"Twin {i}", [30], [250.0]) for i in range(4)]
        small = self._customer("Small", [30], [10.0])
        self._recompute()
        scores = {self._profile(t).rfm_m for t in twins}
        self.assertEqual(len(scores), 1)
        self.assertGreater(scores.pop(), self._profile(small).rfm_m)

    def test_single_customer_is_scored_in_the_middle(self):
        alone = self._customer("Alone", [30, 10], [80.0, 90.0])
        self._recompute()
        profile = self._profile(alone)
        self.assertEqual((profile.rfm_r, profile.rfm_f, profile.rfm_m), (3, 3, 3))
        self.assertEqual(profile.rfm_segment, "need_attention")

    def test_window_excludes_old_customers(self):
        old = self._customer("Ancient", [800])
        recent = self._customer("Recent", [10])
        self._recompute()
        self.assertFalse(self._profile(old).rfm_segment)
        self.assertFalse(self._profile(old).rfm_r)
        self.assertTrue(self._profile(recent).rfm_segment)
        self.company.lifecycle_rfm_window_days = 1000
        self._recompute()
        self.assertTrue(self._profile(old).rfm_segment)

    def test_segment_history_follows_changes(self):
        partners = [
            self._customer(f"C{i}", [20 + 30 * i], [100.0 * (5 - i)]) for i in range(5)
        ]
        laggard = partners[4]
        self._recompute()
        before = self._profile(laggard).rfm_segment
        for ago in (9, 7, 5, 3, 1):
            self._order(laggard, TODAY - timedelta(days=ago), 1000.0)
        self._recompute()
        after = self._profile(laggard).rfm_segment
        self.assertNotEqual(before, after)
        stays = self.env["crm.rfm.segment.history"].search(
            [("partner_id", "=", laggard.id)], order="id"
        )
        self.assertEqual(stays.mapped("segment"), [before, after])
        self.assertEqual(stays[1].previous_segment, before)
        self.assertEqual(stays[0].date_end, TODAY)
        self.assertFalse(stays[1].date_end)

    def test_profile_metrics(self):
        partner = self._customer(
            "Metrics", [100, 70, 40, 10], [100.0, 200.0, 300.0, 400.0]
        )
        self._recompute()
        profile = self._profile(partner)
        self.assertEqual(profile.order_count, 4)
        self.assertEqual(profile.first_order_date, TODAY - timedelta(days=100))
        self.assertEqual(profile.last_order_date, TODAY - timedelta(days=10))
        self.assertAlmostEqual(profile.avg_order_value, 250.0)
        self.assertAlmostEqual(profile.avg_days_between_orders, 30.0)
        self.assertEqual(profile.expected_next_order_date, TODAY + timedelta(days=20))
        self.assertAlmostEqual(profile.historic_clv, 1000.0)
        self.assertGreater(profile.prob_alive, 0.5)
        self.assertGreater(
            profile.expected_purchases_365, profile.expected_purchases_90
        )
        self.assertGreater(profile.predicted_clv_12m, 0)
        self.assertEqual(profile.prediction_method, "heuristic")

    def test_same_day_orders_are_one_purchase(self):
        partner = self._customer("Same day", [10, 10, 10])
        self._recompute()
        profile = self._profile(partner)
        self.assertEqual(profile.order_count, 3)
        self.assertEqual(profile.purchase_days, 1)

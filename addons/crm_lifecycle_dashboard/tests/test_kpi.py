from collections import Counter
from datetime import timedelta

from odoo.tests import tagged

from ..models.crm_lifecycle_kpi import STAGES
from .common import TODAY, DashboardCommon


@tagged("post_install", "-at_install")
class TestKpiDefinitions(DashboardCommon):
    """Each KPI of the snapshot on a small known dataset, against the
    definition of readme/USAGE.md."""

    def test_repurchase_and_members_against_non_members(self):
        # In the last 365 days: A twice (member), B once, C once (and in the
        # year before); E only in the year before (member).
        a = self._customer("KPI A", [10, 100], amount=200.0)
        b = self._customer("KPI B", [20], amount=200.0)
        c = self._customer("KPI C", [30, 400], amount=50.0)
        e = self._customer("KPI E", [500], amount=80.0)
        # A contact's card makes its company a member.
        contact = self.env["res.partner"].create(
            {"name": "KPI A buyer", "parent_id": a.id}
        )
        self._card(contact)
        self._card(e)
        partners = a | b | c | e
        self._refresh(partners)
        kpi = self._snapshot()
        # Buyers A, B, C; repeat buyer A: 1 / 3.
        self.assertEqual((kpi.buyer_count, kpi.repeat_buyer_count), (3, 1))
        self.assertAlmostEqual(kpi.repurchase_rate, 100 / 3)
        # Members: A (E bought nothing this year). 2 orders of 200.
        self.assertEqual(kpi.member_count, 1)
        self.assertAlmostEqual(kpi.member_aov, 200.0)
        self.assertAlmostEqual(kpi.member_orders_per_year, 2.0)
        # Member E bought the year before, not since: retention 0 %.
        self.assertAlmostEqual(kpi.member_retention, 0.0)
        # Non-members B and C: 200 + 50 over 2 orders, 1 order each; C of
        # the year before bought again: 100 %.
        self.assertEqual(kpi.nonmember_count, 2)
        self.assertAlmostEqual(kpi.nonmember_aov, 125.0)
        self.assertAlmostEqual(kpi.nonmember_orders_per_year, 1.0)
        self.assertAlmostEqual(kpi.nonmember_retention, 100.0)
        # Predicted value: the average of the buyers' predicted 12 months.
        profiles = self.env["crm.lifecycle.profile"].search(
            [("company_id", "=", self.company.id)]
        )
        predicted = {p.partner_id: p.predicted_clv_12m for p in profiles}
        self.assertAlmostEqual(kpi.member_predicted_value, predicted[a], places=2)
        self.assertAlmostEqual(
            kpi.nonmember_predicted_value, (predicted[b] + predicted[c]) / 2, places=2
        )

    def test_an_order_of_another_company_or_a_quotation_does_not_count(self):
        a = self._customer("KPI Solo", [10])
        other = self.env["res.company"].create({"name": "KPI Other Co"})
        self.env["sale.order"].create(
            {"partner_id": a.id, "company_id": other.id, "state": "sale"}
        )
        self.env["sale.order"].create(
            {"partner_id": a.id, "company_id": self.company.id, "state": "draft"}
        )
        kpi = self._snapshot()
        self.assertEqual((kpi.buyer_count, kpi.repeat_buyer_count), (1, 0))
        self.assertEqual(kpi.repurchase_rate, 0.0)

    def test_customers_per_stage_and_their_moves(self):
        partners = (
            self._customer("KPI S1", [20])
            | self._customer("KPI S2", [40, 100])
            | self._customer("KPI S3", [200])
            | self._customer("KPI S4", [400])
        )
        before = TODAY - timedelta(days=30)
        self._refresh(partners, before)
        profiles = self.env["crm.lifecycle.profile"].search(
            [("company_id", "=", self.company.id)]
        )
        then = Counter(profiles.mapped("stage"))
        self._refresh(partners, TODAY)
        profiles = self.env["crm.lifecycle.profile"].search(
            [("company_id", "=", self.company.id)]
        )
        now = Counter(profiles.mapped("stage"))
        self.assertNotEqual(now, then, "the dataset moves customers")
        kpi = self._snapshot()
        for stage in STAGES:
            self.assertEqual(kpi[f"count_{stage}"], now[stage], stage)
            self.assertEqual(kpi[f"move_{stage}"], now[stage] - then[stage], stage)
        self.assertEqual(sum(kpi[f"count_{s}"] for s in now), 4)

    def test_yearly_churn_rate(self):
        year_ago = TODAY - timedelta(days=365)
        # X bought once 400 days ago and never again: Churned by today.
        # Y bought 400 days ago and 10 days ago: stays. Z is new this year:
        # not in the base.
        x = self._customer("KPI X", [400], amount=1000.0)
        y = self._customer("KPI Y", [400, 10])
        z = self._customer("KPI Z", [50])
        partners = x | y | z
        self._refresh(partners, year_ago)
        self._refresh(partners, TODAY)
        self.assertEqual(x.with_company(self.company).lifecycle_stage, "churned")
        kpi = self._snapshot()
        self.assertEqual((kpi.churn_base, kpi.churn_count), (2, 1))
        self.assertAlmostEqual(kpi.churn_rate, 50.0)
        # High value: the base's customers with an M score of 5 (the score
        # comes from the company's cut points; set here to know the answer).
        Profile = self.env["crm.lifecycle.profile"]
        profile = {
            p.partner_id: p
            for p in Profile.search([("company_id", "=", self.company.id)])
        }
        profile[x].rfm_m = 5
        profile[y].rfm_m = 3
        profile[z].rfm_m = 5  # not in the base
        kpi = self._snapshot()
        self.assertEqual(
            (kpi.churn_base_high_value, kpi.churn_count_high_value), (1, 1)
        )
        self.assertAlmostEqual(kpi.churn_rate_high_value, 100.0)
        profile[y].rfm_m = 5
        kpi = self._snapshot()
        self.assertEqual(
            (kpi.churn_base_high_value, kpi.churn_count_high_value), (2, 1)
        )
        self.assertAlmostEqual(kpi.churn_rate_high_value, 50.0)

    def _answer(self, partner, day, value, kind="nps"):
        return self.env["crm.nps.answer"].create(
            {
                "partner_id": partner.id,
                "company_id": self.company.id,
                "survey_id": self.env.ref("crm_lifecycle_survey.survey_nps").id,
                "kind": kind,
                "date": day,
                "nps_value": value if kind == "nps" else 0,
            }
        )

    def test_nps_and_its_trend(self):
        p = self._customer("KPI Voice")
        for days, value in ((1, 100), (30, 100), (60, 0), (89, -100)):
            self._answer(p, TODAY - timedelta(days=days), value)
        for days, value in ((90, -100), (150, 0)):
            self._answer(p, TODAY - timedelta(days=days), value)
        self._answer(p, TODAY - timedelta(days=200), -100)  # too old
        self._answer(p, TODAY, 0, kind="csat")  # not an NPS answer
        kpi = self._snapshot()
        self.assertEqual(kpi.nps_answer_count, 4)
        self.assertAlmostEqual(kpi.nps, 25.0)
        self.assertEqual(kpi.nps_previous_answer_count, 2)
        self.assertAlmostEqual(kpi.nps_previous, -50.0)
        self.assertAlmostEqual(kpi.nps_trend, 75.0)

    def test_win_back_rate_with_and_without_offer(self):
        p = self._customer("KPI Lapsed")
        Alert = self.env["crm.churn.alert"]

        def alert(stage, offer_state, days):
            return Alert.create(
                {
                    "name": "KPI alert",
                    "partner_id": p.id,
                    "company_id": self.company.id,
                    "level": "high",
                    "alert_date": TODAY - timedelta(days=days + 30),
                    "stage": stage,
                    "offer_state": offer_state,
                    "closed_on": TODAY - timedelta(days=days),
                }
            )

        # With offer: 3 won back, 1 lost; control: 1 won back, 3 lost.
        for stage in ("won_back", "won_back", "won_back", "lost"):
            alert(stage, "sent", 10)
        for stage in ("won_back", "lost", "lost", "lost"):
            alert(stage, "control", 20)
        alert("won_back", "sent", 400)  # closed more than a year ago
        alert("won_back", "none", 5)  # a journey without offer
        kpi = self._snapshot()
        self.assertEqual((kpi.winback_offer_won, kpi.winback_offer_lost), (3, 1))
        self.assertAlmostEqual(kpi.winback_rate_offer, 75.0)
        self.assertEqual((kpi.winback_control_won, kpi.winback_control_lost), (1, 3))
        self.assertAlmostEqual(kpi.winback_rate_control, 25.0)

    def test_points_outstanding_value_and_expiring(self):
        self.company.lifecycle_kpi_point_value = 0.02
        p = self._customer("KPI Member")
        card = self._card(p)
        Entry = self.env["crm.loyalty.entry"]
        Entry._post(
            card, "bonus", 300, "kpi:1", "Old", date=TODAY - timedelta(days=300)
        )
        Entry._post(
            card, "bonus", 200, "kpi:2", "Recent", date=TODAY - timedelta(days=10)
        )
        Entry._post(card, "redeem", -100, "kpi:3", "Gift", date=TODAY)
        lots = card.crm_lot_ids
        self.assertEqual(sum(lots.mapped("remaining")), 400)
        kpi = self._snapshot()
        self.assertAlmostEqual(kpi.points_outstanding, 400.0)
        self.assertAlmostEqual(kpi.points_value, 8.0)
        horizon = TODAY + timedelta(days=90)
        expiring = sum(
            lot.remaining
            for lot in lots
            if lot.expiry_date and TODAY <= lot.expiry_date <= horizon
        )
        self.assertTrue(expiring, "the old lot expires within 90 days")
        self.assertAlmostEqual(kpi.points_expiring, expiring)
        # A day after a lot's expiry its points are no longer owed.
        later = self._snapshot(TODAY + timedelta(days=200))
        self.assertAlmostEqual(later.points_outstanding, 400.0 - expiring)

    def test_one_snapshot_per_company_and_day(self):
        self._customer("KPI Once", [5])
        first = self._snapshot()
        again = self._snapshot()
        self.assertEqual(first, again)
        self.assertTrue(first.is_latest)
        next_day = self._snapshot(TODAY + timedelta(days=1))
        self.assertNotEqual(next_day, first)
        self.assertTrue(next_day.is_latest)
        self.assertFalse(first.is_latest)

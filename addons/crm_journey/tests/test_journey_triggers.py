from datetime import date, timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import TODAY, JourneyCommon


@tagged("post_install", "-at_install")
class TestJourneyTriggers(JourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Customers since 2025, still buying in 2026.
        cls.member = cls._customer(
            "Lunar Member", (30, 200, 400), birthdate_date=date(1990, 6, 3)
        )
        cls.other = cls._customer(
            "Other Member", (30, 200, 400), birthdate_date=date(1985, 11, 20)
        )
        cls.partners = cls.member | cls.other

    def _email(self):
        return [
            {
                "sequence": 10,
                "kind": "email",
                "mail_template_id": self.welcome_template.id,
            }
        ]

    def test_spring_festival_in_two_years(self):
        """春节 2026 is 17 February, 2027 is 6 February: three days ahead
        each year, computed, never typed in."""
        journey = self._journey(
            "calendar",
            self._email(),
            calendar_kind="lunar",
            festival="spring_festival",
            days_before=3,
            period_days=300,
        )
        self._night(date(2026, 2, 10))
        self.assertFalse(self._runs(journey))
        self._night(date(2026, 2, 14))
        self.assertEqual(self._runs(journey).partner_id, self.partners)
        self.assertEqual(journey.next_occurrence, journey._next_occurrence(TODAY))
        self.assertEqual(journey._next_occurrence(date(2026, 3, 1)), date(2027, 2, 6))
        # A night missed: the day after still enrols (late days), once.
        self._night(date(2026, 2, 15))
        self.assertEqual(len(self._runs(journey)), 2)
        self._night(date(2027, 2, 2))
        self.assertEqual(len(self._runs(journey)), 2)
        self._night(date(2027, 2, 3))
        self.assertEqual(len(self._runs(journey)), 4)

    def test_mid_autumn_and_a_gregorian_date(self):
        mid_autumn = self._journey(
            "calendar",
            self._email(),
            calendar_kind="lunar",
            festival="mid_autumn",
            period_days=300,
        )
        self._night(date(2026, 9, 25))  # 中秋 2026
        self.assertEqual(len(self._runs(mid_autumn)), 2)
        with self.assertRaises(ValidationError):
            self._journey(
                "calendar",
                self._email(),
                calendar_kind="gregorian",
                calendar_month=13,
                calendar_day=1,
            )

    def test_birthday_month(self):
        journey = self._journey("birthday_month", self._email(), period_days=300)
        self._night(date(2026, 6, 1))
        self.assertEqual(self._runs(journey).partner_id, self.member)
        self._night(date(2026, 6, 20))
        self.assertEqual(len(self._runs(journey)), 1)
        self._night(date(2026, 11, 1))
        self.assertEqual(self._runs(journey).partner_id, self.partners)

    def test_stage_trigger_and_audience(self):
        newcomer = self._customer("Newcomer", (1,), user=self.salesman)
        other_newcomer = self._customer(
            "Other Newcomer", (1,), user=self.other_salesman
        )
        journey = self._journey(
            "stage",
            self._email(),
            trigger_stage="new",
            partner_domain=f"[('user_id', '=', {self.salesman.id})]",
        )
        self._night(partners=newcomer | other_newcomer | self.partners)
        self.assertEqual(self._runs(journey).partner_id, newcomer)
        self.assertTrue(self._mails_to(newcomer))

    def test_segment_trigger(self):
        """Enters an RFM segment: the customers still in it who entered it
        since the journey's last night, by the segment history."""
        journey = self._journey("segment", self._email(), trigger_segment="champions")
        self._night()
        Profile = self.env["crm.lifecycle.profile"]
        for partner, segment in ((self.member, "champions"), (self.other, "lost")):
            Profile.search([("partner_id", "=", partner.id)]).write(
                {"rfm_segment": segment}
            )
            self.env["crm.rfm.segment.history"].create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "segment": segment,
                    "date_start": TODAY + timedelta(days=1),
                }
            )
        self.env["crm.journey.run"]._process_partners(
            self.partners.ids, TODAY + timedelta(days=1)
        )
        self.assertEqual(self._runs(journey).partner_id, self.member)

    def test_no_second_order(self):
        once = self._customer("Bought Once", (7,))
        twice = self._customer("Bought Twice", (7, 3))
        journey = self._journey("no_second_order", self._email(), trigger_days=7)
        self._night(partners=once | twice)
        self.assertEqual(self._runs(journey).partner_id, once)

    def test_leaving_the_audience_ends_the_run(self):
        journey = self._journey(
            "birthday_month",
            [
                {"sequence": 10, "kind": "wait", "wait_days": 5},
                *self._email(),
            ],
            partner_domain="[('ref', '=', 'VIP')]",
            period_days=300,
        )
        self.partners.write({"ref": "VIP"})
        self._night(date(2026, 6, 1))
        run = self._runs(journey, self.member)
        self.member.ref = False
        self._night(date(2026, 6, 6))
        self.assertEqual(run.state, "exited")
        self.assertEqual(run.exit_reason, "audience")
        self.assertFalse(self._mails_to(self.member))

    def test_tier_upgrade(self):
        tiers = self.env["crm.loyalty.tier"].search(
            [("company_id", "=", self.company.id)], order="threshold"
        )
        self.assertGreaterEqual(len(tiers), 2, "crm_loyalty ships tiers")
        journey = self._journey(
            "tier_upgraded", self._email(), trigger_tier_id=tiers[1].id
        )
        history = self.env["crm.loyalty.tier.history"]
        history.create(
            {
                "partner_id": self.member.id,
                "company_id": self.company.id,
                "from_tier_id": tiers[0].id,
                "to_tier_id": tiers[1].id,
                "date": TODAY,
            }
        )
        history.create(
            {
                "partner_id": self.other.id,
                "company_id": self.company.id,
                "from_tier_id": tiers[1].id,
                "to_tier_id": tiers[0].id,
                "date": TODAY,
            }
        )
        self._night()
        self.assertEqual(self._runs(journey).partner_id, self.member)
        self._night(TODAY + timedelta(days=1))
        self.assertEqual(len(self._runs(journey)), 1)

    def test_tier_at_risk_before_the_review(self):
        tier = self.env["crm.loyalty.tier"].search(
            [("company_id", "=", self.company.id)], order="threshold desc", limit=1
        )
        self.assertGreater(tier.retention_threshold, 300.0)
        big = self._customer("Big Spender", (30, 60), amount=tier.threshold + 1000.0)
        members = self.partners | big
        members.sudo().with_company(self.company).write({"loyalty_tier_id": tier.id})
        self.company.write(
            {
                "loyalty_tier_next_review": TODAY + timedelta(days=20),
                "loyalty_tier_grace_days": 0,
                "loyalty_tier_warning_days": 30,
                "loyalty_tier_basis": "spent",
            }
        )
        journey = self._journey("tier_at_risk", self._email(), trigger_tier_id=tier.id)
        # Thirty-five days before the review: not yet within the warning days.
        self._night(TODAY - timedelta(days=15), partners=members)
        self.assertFalse(self._runs(journey))
        # Within them: the members below the keep threshold, not the big
        # spender.
        self._night(partners=members)
        self.assertEqual(self._runs(journey).partner_id, self.partners)

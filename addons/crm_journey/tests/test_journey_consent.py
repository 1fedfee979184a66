from datetime import timedelta

from odoo.tests import tagged

from .common import TODAY, JourneyCommon


@tagged("post_install", "-at_install")
class TestJourneyConsent(JourneyCommon):
    """A blacklisted or no-marketing customer never gets a marketing email
    or text message from a journey; the weekly cap holds across journeys."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.willing = cls._customer("Willing", (90,), mobile="+86 138 0013 8000")
        cls.blacklisted = cls._customer(
            "Blacklisted", (90,), mobile="+86 138 0013 8001"
        )
        cls.no_marketing = cls._customer("No Marketing", (90,))
        cls.no_email = cls._customer("No Email", (90,))
        cls.no_email.email = False
        cls.env["mail.blacklist"]._add(cls.blacklisted.email)
        cls.env["phone.blacklist"]._add([cls.blacklisted.mobile])
        cls.no_marketing.lifecycle_no_marketing = True
        cls.partners = cls.willing | cls.blacklisted | cls.no_marketing | cls.no_email

    def _email_journey(self, name="Email journey", template=None):
        return self._journey(
            "days_since_order",
            [
                {
                    "sequence": 10,
                    "kind": "email",
                    "mail_template_id": (template or self.welcome_template).id,
                }
            ],
            name=name,
        )

    def test_email_step_respects_the_blacklist(self):
        journey = self._email_journey()
        self._night()
        runs = self._runs(journey)
        # Asked for no marketing: not even entered.
        self.assertNotIn(self.no_marketing, runs.partner_id)
        self.assertEqual(self._mails_to(self.willing).mapped("state"), ["outgoing"])
        self.assertFalse(self._mails_to(self.blacklisted))
        self.assertFalse(self._mails_to(self.no_email))
        step = journey.step_ids
        self.assertEqual(step.reached_count, 1)
        self.assertEqual(step.skipped_count, 2)

    def test_coupon_is_issued_but_its_email_needs_consent(self):
        self._journey(
            "days_since_order",
            [
                {
                    "sequence": 10,
                    "kind": "coupon",
                    "coupon_program_id": self.coupon_program.id,
                    "coupon_mail_template_id": self.coupon_template.id,
                }
            ],
        )
        self._night()
        cards = self.env["loyalty.card"].search(
            [
                ("program_id", "=", self.coupon_program.id),
                ("partner_id", "in", self.partners.ids),
            ]
        )
        self.assertEqual(
            cards.partner_id, self.willing | self.blacklisted | self.no_email
        )
        self.assertTrue(self._mails_to(self.willing))
        self.assertFalse(self._mails_to(self.blacklisted))

    def test_sms_step_respects_the_phone_blacklist(self):
        journey = self._journey(
            "days_since_order",
            [
                {
                    "sequence": 10,
                    "kind": "sms",
                    "sms_template_id": self.env.ref(
                        "crm_journey.sms_template_journey_greeting"
                    ).id,
                }
            ],
        )
        self._night()
        sms = self.env["sms.sms"].search([("partner_id", "in", self.partners.ids)])
        self.assertEqual(sms.partner_id, self.willing)
        self.assertIn("Willing", sms.body)
        self.assertEqual(journey.step_ids.reached_count, 1)

    def test_opting_out_later_ends_the_journey(self):
        journey = self._journey(
            "days_since_order",
            [
                {"sequence": 10, "kind": "wait", "wait_days": 3},
                {
                    "sequence": 20,
                    "kind": "email",
                    "mail_template_id": self.welcome_template.id,
                },
            ],
        )
        self._night()
        run = self._runs(journey, self.willing)
        self.willing.lifecycle_no_marketing = True
        self._night(TODAY + timedelta(days=3))
        self.assertEqual(run.state, "exited")
        self.assertEqual(run.exit_reason, "optout")
        self.assertFalse(self._mails_to(self.willing))

    def test_weekly_cap_across_journeys(self):
        self.company.journey_weekly_cap = 1
        first = self._email_journey("First")
        second = self._email_journey(
            "Second", self.env.ref("crm_journey.mail_template_journey_greeting")
        )
        self._night()
        self.assertEqual(len(self._mails_to(self.willing)), 1)
        held = self._runs(second, self.willing) | self._runs(first, self.willing)
        waiting = held.filtered(lambda r: r.state == "running")
        self.assertEqual(len(waiting), 1, "the second email waits for tomorrow")
        self.assertEqual(waiting.next_date, TODAY + timedelta(days=1))
        # Still within the week: still held.
        self._night(TODAY + timedelta(days=1))
        self.assertEqual(len(self._mails_to(self.willing)), 1)
        # A week later it goes out.
        self._night(TODAY + timedelta(days=7))
        self.assertEqual(len(self._mails_to(self.willing)), 2)
        self.assertEqual(waiting.state, "waiting")

    def test_personal_data_lists_the_journeys_and_erasing_ends_them(self):
        journey = self._journey(
            "days_since_order",
            [
                {"sequence": 10, "kind": "wait", "wait_days": 3},
                {
                    "sequence": 20,
                    "kind": "email",
                    "mail_template_id": self.welcome_template.id,
                },
            ],
        )
        self._night()
        run = self._runs(journey, self.willing)
        data = self.willing._lifecycle_personal_data()
        self.assertEqual(
            [row["journey_id"] for row in data["journeys"]], [journey.name]
        )
        self.assertEqual(len(data["journey_steps"]), 1)
        self.willing.action_lifecycle_anonymise()
        self.assertEqual(run.state, "exited")
        self._night(TODAY + timedelta(days=3))
        self.assertFalse(self._mails_to(self.willing))

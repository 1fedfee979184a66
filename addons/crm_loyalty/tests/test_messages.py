from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from .common import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestLoyaltyMessages(LoyaltyLedgerCommon):
    def test_expiry_reminder_once_before_expiry(self):
        self.partner.email = "member@example.com"
        no_address = self.env["res.partner"].create({"name": "No e-mail member"})
        with freeze_time("2025-04-10"):
            card = self._card_with(70)
            self._card_with(40, partner=no_address)
        self.program.crm_expiry_reminder_days = 30
        Card = self.env["loyalty.card"]
        with freeze_time("2026-03-01"):  # 40 days before expiry
            self.assertFalse(Card._crm_send_expiry_reminders())
        with freeze_time("2026-03-20"):  # 21 days before
            sent = Card._crm_send_expiry_reminders()
            self.assertEqual(sent.card_id, card)
            self.assertFalse(Card._crm_send_expiry_reminders(), "sent once")
        mail = self.env["mail.mail"].search(
            [("model", "=", "loyalty.card"), ("res_id", "=", card.id)]
        )
        self.assertEqual(len(mail), 1)
        self.assertIn("expire", mail.subject)
        # Worded for the customer: points and date in his language's format.
        self.assertIn("70 Points", mail.body_html)
        self.assertIn("04/10/2026", mail.body_html)

    def test_birthday_mail_once_a_year(self):
        self.partner.write(
            {"email": "member@example.com", "birthdate_date": date(1990, 5, 20)}
        )
        card = self._card_with(10)
        Card = self.env["loyalty.card"]
        with freeze_time("2026-04-30"):
            self.assertFalse(Card._crm_send_birthday_mails())
        with freeze_time("2026-05-01"):
            self.assertEqual(Card._crm_send_birthday_mails(), card)
        with freeze_time("2026-05-02"):
            self.assertFalse(Card._crm_send_birthday_mails())
        mail = self.env["mail.mail"].search(
            [("model", "=", "loyalty.card"), ("res_id", "=", card.id)]
        )
        self.assertEqual(len(mail), 1)
        self.assertIn("3", mail.subject)
        self.program.crm_birthday_mail = False
        with freeze_time("2027-05-01"):
            self.assertFalse(Card._crm_send_birthday_mails())

    def test_greetings_on_a_configured_date(self):
        self.partner.email = "member@example.com"
        self._card_with(5)
        greeting = self.env["crm.loyalty.greeting"].create(
            {
                "name": "Shop anniversary",
                "program_id": self.program.id,
                "month": 6,
                "day": 15,
                "subject": "Ten years together",
                "body": "<p>Thank you for being a member.</p>",
            }
        )
        Greeting = self.env["crm.loyalty.greeting"]
        self.assertFalse(Greeting._cron_send(today=date(2026, 6, 14)))
        self.assertEqual(Greeting._cron_send(today=date(2026, 6, 15)), greeting)
        self.assertFalse(Greeting._cron_send(today=date(2026, 6, 15)), "once a year")
        mails = self.env["mail.mail"].search([("subject", "=", "Ten years together")])
        self.assertEqual(mails.recipient_ids, self.partner)
        with self.assertRaises(ValidationError):
            greeting.month = 13

    def test_a_member_who_asked_for_no_marketing_gets_no_care_email(self):
        """The same for the customer's "No marketing" box, whatever the
        address: no expiry reminder, birthday mail or greeting."""
        self.partner.write(
            {
                "email": "Member <member@example.com>",
                "birthdate_date": date(1990, 5, 20),
                "lifecycle_no_marketing": True,
            }
        )
        with freeze_time("2025-04-10"):
            self._card_with(70)
        self.program.crm_expiry_reminder_days = 30
        self.env["crm.loyalty.greeting"].create(
            {
                "name": "Member day",
                "program_id": self.program.id,
                "month": 5,
                "day": 18,
                "subject": "Member day",
                "body": "<p>Double points today.</p>",
            }
        )
        Card = self.env["loyalty.card"]
        with freeze_time("2026-03-20"):
            self.assertFalse(Card._crm_send_expiry_reminders())
        with freeze_time("2026-05-01"):
            self.assertFalse(Card._crm_send_birthday_mails())
        self.env["crm.loyalty.greeting"]._cron_send(today=date(2026, 5, 18))
        cards = Card.search([("partner_id", "=", self.partner.id)])
        self.assertFalse(
            self.env["mail.mail"].search(
                [
                    "|",
                    ("recipient_ids", "in", self.partner.ids),
                    "&",
                    ("model", "=", "loyalty.card"),
                    ("res_id", "in", cards.ids),
                ]
            )
        )
        self.partner.lifecycle_no_marketing = False
        with freeze_time("2026-05-02"):
            self.assertTrue(Card._crm_send_birthday_mails())

    def test_a_member_who_opted_out_gets_no_care_email(self):
        """Expiry reminders, birthday mails and greetings skip a member whose
        address is on Odoo's blacklist (unsubscribed, or blacklisted by hand)."""
        self.partner.write(
            {
                "email": "Member <member@example.com>",
                "birthdate_date": date(1990, 5, 20),
            }
        )
        self.env["mail.blacklist"]._add("member@example.com")
        with freeze_time("2025-04-10"):
            self._card_with(70)
        self.program.crm_expiry_reminder_days = 30
        self.env["crm.loyalty.greeting"].create(
            {
                "name": "Member day",
                "program_id": self.program.id,
                "month": 5,
                "day": 18,
                "subject": "Member day",
                "body": "<p>Double points today.</p>",
            }
        )
        Card = self.env["loyalty.card"]
        with freeze_time("2026-03-20"):
            self.assertFalse(Card._crm_send_expiry_reminders())
        with freeze_time("2026-05-01"):
            self.assertFalse(Card._crm_send_birthday_mails())
        self.env["crm.loyalty.greeting"]._cron_send(today=date(2026, 5, 18))
        self.assertFalse(
            self.env["mail.mail"].search(
                [
                    "|",
                    ("recipient_ids", "in", self.partner.ids),
                    "&",
                    ("model", "=", "loyalty.card"),
                    (
                        "res_id",
                        "in",
                        Card.search([("partner_id", "=", self.partner.id)]).ids,
                    ),
                ]
            )
        )
        # Back on the list: the birthday mail goes (the others were sent on
        # days that have passed).
        self.env["mail.blacklist"]._remove("member@example.com")
        with freeze_time("2026-05-02"):
            self.assertTrue(Card._crm_send_birthday_mails())

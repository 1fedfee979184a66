from ast import literal_eval
from datetime import date
from urllib.parse import parse_qs, urlsplit

from odoo.tests import HttpCase, freeze_time, tagged

from odoo.addons.crm_loyalty.hooks import add_unsubscribe_line

from .common import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestLoyaltyUnsubscribe(HttpCase, LoyaltyLedgerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner.email = "Member <member@example.com>"

    def _link(self, mail):
        """The unsubscribe address of an email, from its List-Unsubscribe
        header, checked to be the link in its text too."""
        url = literal_eval(mail.headers)["List-Unsubscribe"].strip("<>")
        self.assertIn(url.replace("&", "&amp;"), mail.body_html)
        self.assertEqual(
            literal_eval(mail.headers)["List-Unsubscribe-Post"],
            "List-Unsubscribe=One-Click",
        )
        return url

    def _reminder(self):
        with freeze_time("2025-04-10"):
            card = self._card_with(70)
        self.program.crm_expiry_reminder_days = 30
        with freeze_time("2026-03-20"):
            self.env["loyalty.card"]._crm_send_expiry_reminders()
        return self.env["mail.mail"].search(
            [("model", "=", "loyalty.card"), ("res_id", "=", card.id)]
        )

    def test_link_asks_then_opts_out_and_stops_the_next_emails(self):
        url = self._link(self._reminder())
        query = parse_qs(urlsplit(url).query)
        self.assertEqual(query["partner_id"], [str(self.partner.id)])
        path = urlsplit(url).path + "?" + urlsplit(url).query
        # Opening the link (a mail scanner does) asks, and changes nothing.
        page = self.url_open(path)
        self.assertEqual(page.status_code, 200)
        self.assertIn("member@example.com", page.text)
        self.assertFalse(self.partner.is_blacklisted)
        done = self.url_open(
            "/loyalty/unsubscribe",
            data={"partner_id": self.partner.id, "token": query["token"][0]},
        )
        self.assertEqual(done.status_code, 200)
        self.assertIn("You are unsubscribed", done.text)
        self.partner.invalidate_recordset(["is_blacklisted"])
        self.assertTrue(self.partner.is_blacklisted)
        self.env["mail.mail"].search([]).unlink()
        self.partner.birthdate_date = date(1990, 5, 20)
        with freeze_time("2026-05-01"):
            self.assertFalse(self.env["loyalty.card"]._crm_send_birthday_mails())

    def test_one_click_from_the_mail_reader(self):
        url = urlsplit(self._link(self._reminder()))
        response = self.url_open(
            f"{url.path}?{url.query}", data={"List-Unsubscribe": "One-Click"}
        )
        self.assertEqual(response.status_code, 200)
        self.partner.invalidate_recordset(["is_blacklisted"])
        self.assertTrue(self.partner.is_blacklisted)

    def test_forged_or_stale_links_do_nothing(self):
        token = self.partner._loyalty_unsubscribe_token()
        other = self.env["res.partner"].create(
            {"name": "Other", "email": "other@example.com"}
        )
        for params in (
            {"partner_id": other.id, "token": token},  # another customer
            {"partner_id": self.partner.id, "token": "0" * len(token)},
            {"partner_id": self.partner.id},
            {"partner_id": "x", "token": token},
        ):
            response = self.url_open("/loyalty/unsubscribe", data=params)
            self.assertEqual(response.status_code, 404, params)
        # The address changed since the email: its link no longer applies.
        self.partner.email = "new@example.com"
        response = self.url_open(
            "/loyalty/unsubscribe",
            data={"partner_id": self.partner.id, "token": token},
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(
            self.env["mail.blacklist"].search(
                [
                    (
                        "email",
                        "in",
                        ("member@example.com", "new@example.com", "other@example.com"),
                    )
                ]
            )
        )

    def test_greeting_carries_the_link(self):
        self._card_with(5)
        self.env["crm.loyalty.greeting"].create(
            {
                "name": "Shop anniversary",
                "program_id": self.program.id,
                "month": 6,
                "day": 15,
                "subject": "Ten years together",
                "body": "<p>Thank you for being a member.</p>",
            }
        )
        self.env["crm.loyalty.greeting"]._cron_send(today=date(2026, 6, 15))
        mail = self.env["mail.mail"].search([("subject", "=", "Ten years together")])
        self._link(mail)
        self.assertIn("Thank you for being a member.", mail.body_html)

    def test_upgrade_adds_the_line_once_and_keeps_the_managers_text(self):
        template = self.env.ref("crm_loyalty.mail_template_birthday")
        template.body_html = "<div><p>Our own birthday words.</p></div>"
        xmlid = (("crm_loyalty.mail_template_birthday", "object.partner_id"),)
        add_unsubscribe_line(self.env, xmlid)
        add_unsubscribe_line(self.env, xmlid)
        body = template.body_html
        self.assertIn("Our own birthday words.", body)
        self.assertEqual(body.count("_loyalty_unsubscribe_url()"), 1)
        self.assertLess(
            body.index("Our own birthday words."), body.index("Unsubscribe")
        )
        card = self._card_with(5)
        rendered = template._render_field("body_html", card.ids)[card.id]
        self.assertIn(
            self.partner._loyalty_unsubscribe_url().replace("&", "&amp;"), rendered
        )

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError


class CrmLoyaltyGreeting(models.Model):
    """A message sent to every member of a program on a date of the year
    (a shop anniversary, a holiday...)."""

    _name = "crm.loyalty.greeting"
    _description = "Loyalty Greeting"
    _order = "month, day"

    name = fields.Char(required=True, translate=True)
    program_id = fields.Many2one(
        "loyalty.program", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    month = fields.Integer(required=True, default=1)
    day = fields.Integer(required=True, default=1)
    subject = fields.Char(required=True, translate=True)
    body = fields.Html(required=True, translate=True, sanitize=True)
    active = fields.Boolean(default=True)
    last_sent_year = fields.Integer(readonly=True)

    @api.constrains("month", "day")
    def _check_date(self):
        for greeting in self:
            if not (1 <= greeting.month <= 12 and 1 <= greeting.day <= 31):
                raise ValidationError(
                    self.env._("A greeting needs a valid month and day.")
                )

    @api.model
    def _cron_send(self, today=None):
        """Send today's greetings once a year to members with an email who did
        not opt out of emails."""
        today = today or fields.Date.context_today(self)
        greetings = self.search(
            [
                ("month", "=", today.month),
                ("day", "=", today.day),
                ("last_sent_year", "!=", today.year),
            ]
        )
        Mail = self.env["mail.mail"].sudo()
        for greeting in greetings:
            cards = (
                self.env["loyalty.card"]
                .sudo()
                .search(
                    [
                        ("program_id", "=", greeting.program_id.id),
                        ("partner_id.email", "!=", False),
                        # Opted out of emails (blacklisted) or of
                        # marketing: no greeting.
                        ("partner_id.is_blacklisted", "=", False),
                        ("partner_id.lifecycle_no_marketing", "=", False),
                    ]
                )
            )
            partners = cards.partner_id
            Mail.create(
                [
                    {
                        "subject": greeting.with_context(lang=partner.lang).subject,
                        "body_html": greeting.with_context(lang=partner.lang).body
                        + partner.with_context(
                            lang=partner.lang
                        )._loyalty_unsubscribe_footer(),
                        "recipient_ids": [Command.link(partner.id)],
                        "headers": partner._loyalty_mail_headers(),
                        "email_from": greeting.company_id.email_formatted
                        or self.env.company.email_formatted,
                        "auto_delete": True,
                    }
                    for partner in partners
                ]
            )
            greeting.last_sent_year = today.year
        return greetings

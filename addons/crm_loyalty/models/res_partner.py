from datetime import timedelta

from markupsafe import Markup
from werkzeug.urls import url_encode

from odoo import api, fields, models, tools
from odoo.tools.misc import format_date, get_lang

from odoo.addons.crm_lifecycle.rpc_guards import ensure_existing

from ..tools import statement


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Same name and type as OCA's partner_contact_birthdate, so that both
    # modules share one column when installed together. This addon's plain
    # partner fields have a prefetch group of their own: read by the crons
    # and the forms, they stay out of the partner's fetches at every sale.
    birthdate_date = fields.Date("Birthdate", prefetch="crm_loyalty")
    loyalty_birthday_mail_year = fields.Integer(
        readonly=True, groups="base.group_system", copy=False, prefetch="crm_loyalty"
    )
    loyalty_tier_id = fields.Many2one(
        "crm.loyalty.tier",
        string="Member tier",
        company_dependent=True,
        readonly=True,
        help="Tier of the customer in the current company.",
        prefetch="crm_loyalty",
    )
    loyalty_tier_stars = fields.Selection(
        related="loyalty_tier_id.stars", string="Tier"
    )
    loyalty_account_manager_id = fields.Many2one(
        "res.users",
        "Account manager",
        help="The member's dedicated account manager: gets the activities the "
        "suite creates for this member.",
        prefetch="crm_loyalty",
    )
    loyalty_tier_history_ids = fields.One2many(
        "crm.loyalty.tier.history",
        "partner_id",
        string="Tier history",
        domain=lambda self: [("company_id", "=", self.env.company.id)],
        groups="sales_team.group_sale_salesman",
    )
    loyalty_ledger_card_ids = fields.Many2many(
        "loyalty.card",
        string="Loyalty balances",
        compute="_compute_loyalty_ledger",
        groups="sales_team.group_sale_salesman",
    )
    loyalty_points_expiring_30 = fields.Float(
        "Points expiring within 30 days",
        digits="Loyalty Points",
        compute="_compute_loyalty_ledger",
        groups="sales_team.group_sale_salesman",
    )
    loyalty_points_expiring_90 = fields.Float(
        "Points expiring within 90 days",
        digits="Loyalty Points",
        compute="_compute_loyalty_ledger",
        groups="sales_team.group_sale_salesman",
    )
    loyalty_recent_entry_ids = fields.Many2many(
        "crm.loyalty.entry",
        string="Latest ledger entries",
        compute="_compute_loyalty_ledger",
        groups="sales_team.group_sale_salesman",
    )

    # ------------------------------------------------------------------
    # Service by star (星级管理)
    # ------------------------------------------------------------------

    def _loyalty_service(self, company, today, days, user=None):
        """Who does an activity the suite creates for this customer, and by
        when: the tier's service level when it has one (the member's
        account manager, else the tier's, else the sales team's leader for
        a dedicated tier; due within the tier's response time if that is
        sooner than ``days`` working days), else ``user`` in ``days``
        working days of ``company``. Returns ``(user, deadline)``.

        The activity then created for the customer with this deadline, in
        the same transaction, is measured by the Service Levels report
        (``crm.loyalty.service.task``), with the tier of the day."""
        self.ensure_one()
        customer = self.commercial_partner_id.with_company(company)
        tier = customer.sudo().loyalty_tier_id
        deadline = company._lifecycle_add_working_days(today, days)
        owner = customer.loyalty_account_manager_id or user
        if tier and tier.service_response_hours:
            tier_deadline = company._lifecycle_add_working_days(
                today, tier.service_response_hours // 24
            )
            deadline = min(deadline, tier_deadline)
        if tier and not customer.loyalty_account_manager_id and tier.service_dedicated:
            team = customer.user_id.sale_team_id
            owner = tier.service_manager_id or team.user_id or owner
        self.env["crm.loyalty.service.task"]._expect(customer, company, tier, deadline)
        return owner, deadline

    # ------------------------------------------------------------------
    # Personal data on request (crm_lifecycle's export and anonymisation)
    # ------------------------------------------------------------------

    def _lifecycle_identity_fields(self):
        return [*super()._lifecycle_identity_fields(), "birthdate_date"]

    def _lifecycle_personal_data(self):
        data = super()._lifecycle_personal_data()
        customer = self.commercial_partner_id
        people = customer | customer.child_ids
        data["loyalty_cards"] = self._lifecycle_export_rows(
            "loyalty.card",
            [("partner_id", "in", people.ids)],
            ["program_id", "code", "points", "expiration_date"],
        )
        data["loyalty_ledger"] = self._lifecycle_export_rows(
            "crm.loyalty.entry",
            [("partner_id", "in", people.ids)],
            ["date", "program_id", "entry_type", "points", "reason_display"],
        )
        data["loyalty_tiers"] = self._lifecycle_export_rows(
            "crm.loyalty.tier.history",
            [("partner_id", "=", customer.id)],
            ["company_id", "date", "from_tier_id", "to_tier_id"],
        )
        return data

    # ------------------------------------------------------------------
    # Opting out of the programme's emails
    # ------------------------------------------------------------------

    def _loyalty_unsubscribe_token(self):
        """A token only this database can make, bound to the customer and to
        the address the email went to: a link forwarded after the address
        changed no longer opts out the new one."""
        self.ensure_one()
        return tools.hmac(
            self.env(su=True),
            "crm_loyalty-unsubscribe",
            (self.id, self.email_normalized or ""),
        )

    def _loyalty_unsubscribe_url(self):
        self.ensure_one()
        query = url_encode(
            {"partner_id": self.id, "token": self._loyalty_unsubscribe_token()}
        )
        return f"{self.get_base_url()}/loyalty/unsubscribe?{query}"

    def _loyalty_mail_headers(self):
        """Headers that let a mail reader offer its own one-click
        unsubscribe button (RFC 8058), as Odoo's digests and mailings do."""
        self.ensure_one()
        return {
            "List-Unsubscribe": f"<{self._loyalty_unsubscribe_url()}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }

    def _loyalty_unsubscribe_footer(self):
        """The unsubscribe line for emails whose text a manager writes (the
        greetings), in the language of the context."""
        self.ensure_one()
        return Markup(
            '<p style="font-size: 12px; color: #888888;">%s <a href="%s">%s</a></p>'
        ) % (
            self.env._("No longer want these emails?"),
            self._loyalty_unsubscribe_url(),
            self.env._("Unsubscribe"),
        )

    def _loyalty_unsubscribe(self):
        """Put the customer's address on Odoo's email blacklist, which every
        email of the suite and Odoo's mailings respect."""
        self.ensure_one()
        if self.email_normalized:
            self.env["mail.blacklist"]._add(
                self.email_normalized,
                message=self.env._("Opted out from a loyalty email."),
            )
        return True

    # Per user too: record rules show each salesperson his own customers'
    # figures, and the cache must not hand one user's value to another.
    @api.depends_context("company", "uid")
    def _compute_loyalty_ledger(self):
        """Cards of the customer and its contacts in the current company's
        ledger programs; one query per field family for the whole batch."""
        today = fields.Date.context_today(self)
        commercial = self.commercial_partner_id
        members = self.search([("commercial_partner_id", "in", commercial.ids)])
        cards = self.env["loyalty.card"].search(
            [
                ("partner_id", "in", members.ids),
                ("program_id.program_type", "=", "loyalty"),
                ("program_id.crm_ledger_managed", "=", True),
                ("company_id", "in", (False, self.env.company.id)),
            ]
        )
        expiring = {}
        for days in (30, 90):
            groups = self.env["crm.loyalty.lot"]._read_group(
                [
                    ("card_id", "in", cards.ids),
                    ("remaining", ">", 0),
                    ("expiry_date", ">=", today),
                    ("expiry_date", "<=", today + timedelta(days=days)),
                ],
                ["partner_id"],
                ["remaining:sum"],
            )
            for partner, remaining in groups:
                key = (partner.commercial_partner_id.id, days)
                expiring[key] = expiring.get(key, 0.0) + remaining
        entries = self.env["crm.loyalty.entry"].search(
            [("card_id", "in", cards.ids)], order="date desc, id desc", limit=200
        )
        for partner in self:
            root = partner.commercial_partner_id
            own_cards = cards.filtered(
                lambda c, r=root: c.partner_id.commercial_partner_id == r
            )
            partner.loyalty_ledger_card_ids = own_cards
            partner.loyalty_points_expiring_30 = expiring.get((root.id, 30), 0.0)
            partner.loyalty_points_expiring_90 = expiring.get((root.id, 90), 0.0)
            partner.loyalty_recent_entry_ids = entries.filtered(
                lambda e, c=own_cards: e.card_id in c
            )[:10]

    def action_loyalty_open_ledger(self):
        ensure_existing(self)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_loyalty.crm_loyalty_entry_action"
        )
        action["domain"] = [
            ("partner_id", "child_of", self.commercial_partner_id.id),
        ]
        return action

    def action_loyalty_statement(self):
        """Download the customer's points statement as an Excel workbook."""
        ensure_existing(self)
        self.ensure_one()
        self.env["crm.loyalty.entry"].check_access("read")
        content = self._loyalty_statement_xlsx()
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Points statement %(customer)s.xlsx", customer=self.display_name
                ),
                "raw": content,
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    def _loyalty_statement_xlsx(self):
        root = self.commercial_partner_id
        types = dict(
            self.env["crm.loyalty.entry"]
            ._fields["entry_type"]
            ._description_selection(self.env)
        )
        cards = [
            {
                "program": card.program_id.name,
                "code": card.code,
                "balance": card.points,
                "expiring_30": 0.0,
                "expiring_90": 0.0,
            }
            for card in root.loyalty_ledger_card_ids
        ]
        if cards:
            cards[0]["expiring_30"] = root.loyalty_points_expiring_30
            cards[0]["expiring_90"] = root.loyalty_points_expiring_90
        entries = self.env["crm.loyalty.entry"].search_fetch(
            [("card_id", "in", root.loyalty_ledger_card_ids.ids)],
            [
                "date",
                "card_id",
                "entry_type",
                "points",
                "reason",
                "reason_code",
                "reason_params",
                "lot_id",
            ],
            order="date, id",
        )
        # Written for the reader: dates in his time zone, reasons in his
        # language, points by the ledger's precision.
        rows = [
            {
                "date": fields.Datetime.context_timestamp(self, entry.date).replace(
                    tzinfo=None
                ),
                "card": entry.card_id.code,
                "type": types[entry.entry_type],
                "points": entry.points,
                "reason": entry.reason_display,
                "expiry": entry.expiry_date,
            }
            for entry in entries
        ]
        _ = self.env._
        lang = get_lang(self.env)
        labels = {
            "summary_sheet": _("Balances"),
            "entries_sheet": _("Entries"),
            "program": _("Program"),
            "code": _("Card"),
            "balance": _("Balance"),
            "expiring_30": _("Expiring within 30 days"),
            "expiring_90": _("Expiring within 90 days"),
            "date": _("Date"),
            "card": _("Card"),
            "type": _("Type"),
            "points": _("Points"),
            "running": _("Running balance"),
            "reason": _("Reason"),
            "expiry": _("Expires on"),
            "date_format": lang.date_format,
            "time_format": lang.time_format,
        }
        title = _(
            "Points statement of %(customer)s on %(date)s",
            customer=root.display_name,
            date=format_date(self.env, fields.Date.context_today(self)),
        )
        return statement.points_statement(
            title,
            cards,
            rows,
            labels,
            digits=self.env["crm.loyalty.entry"]._point_digits(),
        )

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL
from odoo.tools.misc import format_date

from odoo.addons.crm_lifecycle.rpc_guards import ensure_existing

# Context keys: the order hooks post typed entries themselves, so the points
# that sale_loyalty writes on the card during confirmation or cancellation
# are left to them.
ORDER_FLOW = "crm_loyalty_order_flow"
# sale_loyalty moves a card's points itself when a reward line of a confirmed
# order is added, changed or removed, as whoever edits the order: those
# writes become adjustments whoever the user is. The key must hold this very
# object, which no RPC client can send.
REWARD_LINE = "crm_loyalty_reward_line"
TRUSTED = object()


class LoyaltyCard(models.Model):
    _inherit = "loyalty.card"

    # A code bought in the points mall: the reward, and the entry that paid.
    crm_mall_item_id = fields.Many2one(
        "crm.loyalty.mall.item",
        "Points mall reward",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        prefetch="crm_loyalty",
    )
    crm_mall_entry_id = fields.Many2one(
        "crm.loyalty.entry",
        "Paid by",
        readonly=True,
        index="btree_not_null",
        prefetch="crm_loyalty",
    )

    crm_entry_ids = fields.One2many("crm.loyalty.entry", "card_id", "Ledger entries")
    crm_lot_ids = fields.One2many("crm.loyalty.lot", "card_id", "Lots")
    crm_ledger_managed = fields.Boolean(related="program_id.crm_ledger_managed")

    def _crm_ledger_cards(self):
        return self.filtered(lambda card: card.program_id._crm_is_ledger())

    @api.model_create_multi
    def create(self, vals_list):
        initial = [vals.get("points") or 0.0 for vals in vals_list]
        cards = super().create(
            [
                {**vals, "points": 0.0} if vals.get("points") else vals
                for vals in vals_list
            ]
        )
        for card, points in zip(cards, initial, strict=True):
            if not points:
                continue
            if card.program_id._crm_is_ledger():
                card._crm_post_adjustment(
                    points,
                    key=f"loyalty.card:{card.id}:initial",
                    reason_code="initial",
                )
            else:
                super(LoyaltyCard, card).write({"points": points})
        return cards

    def write(self, vals):
        # The ledger's own key is honoured only as superuser: the ledger posts
        # as such, a caller passing the key in its context is not the ledger.
        if "points" not in vals or (
            self.env.context.get("crm_loyalty_posting") and self.env.su
        ):
            return super().write(vals)
        try:
            points = self._fields["points"].convert_to_cache(vals["points"], self)
        except (TypeError, ValueError) as error:
            raise ValidationError(
                self.env._("A card's balance must be a number.")
            ) from error
        vals = {**vals, "points": points}
        ledger_cards = self._crm_ledger_cards()
        if not ledger_cards:
            return super().write(vals)
        if not (
            self.env.su
            or self.env.context.get(ORDER_FLOW)
            or self.env.context.get(REWARD_LINE) is TRUSTED
            or self.env.user.has_group("crm_loyalty.group_loyalty_manager")
        ):
            raise AccessError(
                self.env._(
                    "Only loyalty managers change a card's balance by hand; "
                    "ask one to post an adjustment."
                )
            )
        others = self - ledger_cards
        rest = {key: value for key, value in vals.items() if key != "points"}
        res = True
        if others:
            res = super(LoyaltyCard, others).write(vals)
        if rest:
            res = super(LoyaltyCard, ledger_cards).write(rest)
        if not self.env.context.get(ORDER_FLOW):
            # Anyone else writing a balance (imports, other modules, the
            # point of sale) becomes a signed adjustment, so that the
            # balance still equals the entries.
            typed = self.env.context.get("crm_loyalty_reason")
            for card in ledger_cards:
                delta = vals["points"] - card.points
                if delta:
                    card._crm_post_adjustment(
                        delta, typed, reason_code=not typed and "direct"
                    )
        return res

    def _crm_points_reached(self, old, new):
        """Send the program's "when reaching" mails that Odoo sends when a
        card's balance is written: the ledger moves ledger cards' balances
        in SQL, past that write."""
        self.ensure_one()
        if self.program_id.id in self.env[
            "loyalty.program"
        ]._crm_milestone_program_ids() and not self.env.context.get("loyalty_no_mail"):
            self._send_points_reach_communication({self: {"old": old, "new": new}})

    def _crm_post_adjustment(
        self, points, reason=False, key=None, source=None, reason_code=None
    ):
        """``reason``: a text kept as typed; ``reason_code``: a reason the
        ledger words itself in its reader's language."""
        self.ensure_one()
        Entry = self.env["crm.loyalty.entry"]
        key = key or f"loyalty.card:{self.id}:adjust:{Entry._next_adjust_number(self)}"
        return Entry._post(
            self,
            "adjust",
            points,
            key,
            reason=reason,
            source=source,
            reason_code=reason_code,
        )

    def _format_points(self, points):
        """Odoo's wording of a card's points (``points_display``: the portal,
        the emails, the customer's Loyalty tab): ledger cards use the
        ledger's precision and the reader's separators, like every screen of
        the suite. Points named after the currency stay an amount."""
        self.ensure_one()
        if (
            not self.program_id._crm_is_ledger()
            or self.point_name == self.program_id.currency_id.symbol
        ):
            return super()._format_points(points)
        number = self.env["crm.loyalty.entry"]._format_points(points)
        return f"{number} {self.point_name}" if self.point_name else number

    @api.depends_context("lang")
    def _compute_points_display(self):
        return super()._compute_points_display()

    @api.model
    def _cron_crm_loyalty_messages(self, limit=500):
        """Expiry reminders and birthday emails; each is sent once (the lot or
        the partner remembers it), so running twice a day sends nothing more."""
        self._crm_send_expiry_reminders(limit)
        self._crm_send_birthday_mails(limit)
        self.env["crm.loyalty.greeting"].sudo()._cron_send()

    def _crm_send_expiry_reminders(self, limit=500):
        today = fields.Date.context_today(self)
        Lot = self.env["crm.loyalty.lot"].sudo()
        # Only lots inside the longest reminder window are loaded: the open
        # lots of a large programme run into the hundreds of thousands.
        windows = (
            self.env["loyalty.program"]
            .sudo()
            ._read_group(
                [("crm_expiry_reminder_days", ">", 0)],
                aggregates=["crm_expiry_reminder_days:max"],
            )
        )
        longest = windows[0][0] or 0
        if not longest:
            return Lot
        lots = Lot.search(
            [
                ("remaining", ">", 0),
                ("reminder_sent", "=", False),
                ("expiry_date", ">=", today),
                ("expiry_date", "<=", today + timedelta(days=longest)),
                ("program_id.crm_expiry_reminder_days", ">", 0),
                # No address, no mail: rendering one would only fail later.
                ("card_id.partner_id.email", "!=", False),
                # A customer who opted out of emails (blacklisted) or of
                # marketing gets none.
                ("card_id.partner_id.is_blacklisted", "=", False),
                ("card_id.partner_id.lifecycle_no_marketing", "=", False),
            ],
            order="expiry_date",
        )
        due = lots.filtered(
            lambda lot: (
                (lot.expiry_date - today).days
                <= lot.program_id.crm_expiry_reminder_days
            )
        )
        template = self.env.ref("crm_loyalty.mail_template_points_expiring")
        sent = Lot
        for card in due.card_id[:limit]:
            card_lots = due.filtered(lambda lot, c=card: lot.card_id == c)
            first = min(card_lots.mapped("expiry_date"))
            expiring = sum(
                card_lots.filtered(lambda lot, d=first: lot.expiry_date == d).mapped(
                    "remaining"
                )
            )
            # Worded for the customer: his language's numbers and dates.
            reader = card.with_context(lang=card.partner_id.lang or self.env.lang)
            template.with_context(
                expiring_points=expiring,
                expiring_points_text=reader._format_points(expiring),
                expiry_date=fields.Date.to_string(first),
                expiry_date_text=format_date(reader.env, first),
            ).send_mail(
                card.id,
                email_layout_xmlid="mail.mail_notification_light",
                email_values={"headers": card.partner_id._loyalty_mail_headers()},
            )
            sent |= card_lots
        if sent:
            self.env.execute_query(
                SQL(
                    "UPDATE crm_loyalty_lot SET reminder_sent = TRUE"
                    " WHERE id = ANY(%s)",
                    sent.ids,
                )
            )
            Lot.invalidate_model(["reminder_sent"])
        return sent

    def _crm_send_birthday_mails(self, limit=500):
        today = fields.Date.context_today(self)
        # The birth month is matched in SQL: a search on "has a birthdate"
        # would load every member of the programme each day.
        self.env["res.partner"].flush_model(
            [
                "birthdate_date",
                "loyalty_birthday_mail_year",
                "email",
                "email_normalized",
                "lifecycle_no_marketing",
            ]
        )
        self.env["mail.blacklist"].flush_model(["email", "active"])
        self.flush_model(["program_id", "partner_id", "active"])
        self.env["loyalty.program"].flush_model(
            [
                "program_type",
                "crm_ledger_managed",
                "crm_birthday_mail",
                "crm_birthday_factor",
                "active",
            ]
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT c.id
                  FROM loyalty_card c
                  JOIN loyalty_program p ON p.id = c.program_id
                  JOIN res_partner rp ON rp.id = c.partner_id
                 WHERE p.program_type = 'loyalty' AND p.crm_ledger_managed
                   AND p.crm_birthday_mail AND p.crm_birthday_factor > 1
                   AND p.active AND c.active IS NOT FALSE
                   AND EXTRACT(MONTH FROM rp.birthdate_date) = %s
                   AND rp.email IS NOT NULL AND rp.email != ''
                   -- Opted out of emails or of marketing: no birthday mail.
                   AND NOT COALESCE(rp.lifecycle_no_marketing, FALSE)
                   AND NOT EXISTS (SELECT 1 FROM mail_blacklist bl
                                    WHERE bl.active
                                      AND bl.email = rp.email_normalized)
                   AND COALESCE(rp.loyalty_birthday_mail_year, 0) != %s
                 ORDER BY c.id
                 LIMIT %s
                """,
                today.month,
                today.year,
                limit,
            )
        )
        # sudo: the cron sends on behalf of the programme, whoever runs it.
        due = self.sudo().browse([row[0] for row in rows])
        template = self.env.ref("crm_loyalty.mail_template_birthday")
        for card in due:
            template.send_mail(
                card.id,
                email_layout_xmlid="mail.mail_notification_light",
                email_values={"headers": card.partner_id._loyalty_mail_headers()},
            )
        if due:
            self.env.execute_query(
                SQL(
                    "UPDATE res_partner SET loyalty_birthday_mail_year = %s"
                    " WHERE id = ANY(%s)",
                    today.year,
                    due.partner_id.ids,
                )
            )
            self.env["res.partner"].invalidate_model(["loyalty_birthday_mail_year"])
        return due

    def _crm_check_card(self):
        """A missing card, or one of another company, fails here rather than
        in the view the action opens."""
        ensure_existing(self)
        self.ensure_one()
        self.check_access("read")

    def action_crm_open_ledger(self):
        self._crm_check_card()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_loyalty.crm_loyalty_entry_action"
        )
        action["domain"] = [("card_id", "=", self.id)]
        action["context"] = {"default_card_id": self.id}
        return action

    def action_crm_adjust(self):
        self._crm_check_card()
        self.env["crm.loyalty.adjust.wizard"].check_access("create")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Adjust points"),
            "res_model": "crm.loyalty.adjust.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_card_id": self.id},
        }

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import ledger


class LoyaltyProgram(models.Model):
    _inherit = "loyalty.program"

    crm_ledger_managed = fields.Boolean(
        "Points ledger",
        default=True,
        help="Every change of a card's points is an entry of an append-only "
        "ledger, earned points are lots that expire by the policy below, and "
        "spending consumes the lots that expire first. Only for loyalty cards.",
    )
    crm_expiry_policy = fields.Selection(
        [
            ("never", "Never"),
            ("months", "After a number of months"),
            ("year_end", "At the end of the year"),
        ],
        string="Points expire",
        default="months",
        required=True,
    )
    crm_expiry_months = fields.Integer("Expire after (months)", default=12)
    crm_refund_policy = fields.Selection(
        [
            ("cap", "Take what is left and flag the shortfall"),
            ("negative", "Allow a negative balance"),
        ],
        string="When refunded points were already spent",
        default="cap",
        required=True,
        help="A credit note or a cancellation takes back the points its order "
        "earned. If the customer already spent them, either take what is left "
        "(the entry records the shortfall) or let the balance go negative; "
        "a negative balance is paid back by the next points earned.",
    )

    @api.constrains("crm_expiry_policy", "crm_expiry_months")
    def _check_crm_expiry(self):
        for program in self:
            if program.crm_expiry_policy == "months" and program.crm_expiry_months <= 0:
                raise ValidationError(
                    self.env._("Points must expire after a positive number of months.")
                )

    def _crm_is_ledger(self):
        self.ensure_one()
        return self.program_type == "loyalty" and self.crm_ledger_managed

    def _crm_expiry_date(self, earned_on):
        self.ensure_one()
        return ledger.expiry_date(
            self.crm_expiry_policy, self.crm_expiry_months, earned_on
        )

    def write(self, vals):
        if "crm_ledger_managed" in vals and not vals["crm_ledger_managed"]:
            posted = (
                self.env["crm.loyalty.entry"]
                .sudo()
                .search_count([("program_id", "in", self.ids)], limit=1)
            )
            if posted:
                raise ValidationError(
                    self.env._(
                        "This program already has ledger entries: its points stay "
                        "managed by the ledger."
                    )
                )
        switched_on = (
            self.filtered(lambda program: not program.crm_ledger_managed)
            if vals.get("crm_ledger_managed")
            else self.browse()
        )
        res = super().write(vals)
        switched_on._crm_open_ledger()
        return res

    def _crm_open_ledger(self):
        """Book the current balance of every card as its opening entry."""
        for program in self.filtered(lambda p: p._crm_is_ledger()):
            cards = self.env["loyalty.card"].search(
                [("program_id", "=", program.id), ("points", "!=", 0)]
            )
            for card in cards:
                balance = card.points
                # The balance is already on the card: record it without moving it.
                self.env["crm.loyalty.entry"]._post_opening(card, balance)

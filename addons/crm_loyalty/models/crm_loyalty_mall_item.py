from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..tools import periods
from ..tools.ledger import MAX_POINTS


class CrmLoyaltyMallItem(models.Model):
    """A reward of the points mall (积分商城): members exchange points of a
    ledger program for a single-use code of an Odoo coupon or gift card
    program, usable in the shop, at the till and on quotations."""

    _name = "crm.loyalty.mall.item"
    _description = "Points Mall Reward"
    _order = "program_id, sequence, points_cost, id"

    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True)
    image = fields.Image(max_width=512, max_height=512)
    active = fields.Boolean(default=True)
    program_id = fields.Many2one(
        "loyalty.program",
        "Points of",
        required=True,
        ondelete="cascade",
        domain="[('program_type', '=', 'loyalty'), ('crm_ledger_managed', '=', True)]",
        help="The loyalty program whose points pay for this reward.",
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    points_cost = fields.Float("Cost in points", required=True, digits="Loyalty Points")
    reward_program_id = fields.Many2one(
        "loyalty.program",
        "Code of",
        required=True,
        ondelete="restrict",
        domain="[('program_type', 'in', ('coupons', 'gift_card'))]",
        help="The coupon or gift card program whose code the member receives.",
    )
    code_points = fields.Float(
        "Value of the code",
        default=1.0,
        required=True,
        help="Points put on the code: 1 for a single-use coupon, the amount "
        "for a gift card.",
    )
    validity_days = fields.Integer(
        "Valid for", default=90, help="Days the code can be used; 0: no end."
    )
    stock_limit = fields.Integer(
        "Stock", help="How many codes per period at most; 0 means no limit."
    )
    stock_period = fields.Selection(
        [
            ("day", "per day"),
            ("week", "per week"),
            ("month", "per month"),
            ("year", "per year"),
        ],
        "Stock period",
        default="month",
        required=True,
    )
    # Bumped by every exchange in the statement that locks the item: two
    # members taking the last code at the same moment are serialized on
    # this row, and the second one counts the first's code.
    exchange_count = fields.Integer(readonly=True, copy=False)
    code_ids = fields.One2many("loyalty.card", "crm_mall_item_id", "Codes")

    @api.constrains("points_cost", "code_points", "validity_days", "stock_limit")
    def _check_numbers(self):
        for item in self:
            if not 0 < item.points_cost <= MAX_POINTS or item.code_points <= 0:
                raise ValidationError(
                    self.env._(
                        "A points mall reward costs more than 0 points and gives "
                        "a code worth more than 0."
                    )
                )
            if item.validity_days < 0 or item.stock_limit < 0:
                raise ValidationError(
                    self.env._("Validity and stock cannot be negative.")
                )

    @api.constrains("program_id", "reward_program_id")
    def _check_programs(self):
        for item in self:
            if not item.program_id._crm_is_ledger():
                raise ValidationError(
                    self.env._(
                        "The points of a mall reward come from a loyalty program "
                        "that uses the points ledger."
                    )
                )
            if item.reward_program_id.program_type not in ("coupons", "gift_card"):
                raise ValidationError(
                    self.env._(
                        "A mall reward gives a code of a coupon or gift card program."
                    )
                )

    def _stock_left(self, today=None):
        """Codes left in the current period (None: no limit)."""
        self.ensure_one()
        if not self.stock_limit:
            return None
        today = today or fields.Date.context_today(self)
        start = periods.period_start(self.stock_period, today)
        # The ledger's redeem entries are the exchanges, with their date.
        taken = (
            self.env["crm.loyalty.entry"]
            .sudo()
            .search_count(
                [
                    ("source_model", "=", self._name),
                    ("source_id", "=", self.id),
                    ("entry_type", "=", "redeem"),
                    ("date", ">=", datetime.combine(start, time.min)),
                ]
            )
        )
        return max(self.stock_limit - taken, 0)

    def _exchange(self, partner, request_key):
        """Turn ``partner``'s points into a code of this reward; returns the
        code's card. ``request_key`` (the portal form's own key) makes a
        double click or a repeated request return the same code.

        The points are a ``redeem`` entry of the ledger: a balance too small
        is refused there, under the card's row lock, so that parallel
        requests never spend more than the balance. Runs as superuser (the
        caller checked who the member is)."""
        self.ensure_one()
        partner = partner.commercial_partner_id
        Entry = self.env["crm.loyalty.entry"]
        key = f"{self._name}:{self.id}:partner:{partner.id}:request:{request_key}"
        done = Entry.search([("source_key", "=", key)], limit=1)
        if done:
            return self.env["loyalty.card"].search(
                [("crm_mall_entry_id", "=", done.id)], limit=1
            )
        if not self.active or not self.program_id.active:
            raise UserError(self.env._("This reward is no longer offered."))
        card = self.env["loyalty.card"].search(
            [("program_id", "=", self.program_id.id), ("partner_id", "=", partner.id)],
            limit=1,
        )
        if not card or card.points < self.points_cost:
            raise UserError(
                self.env._(
                    "%(reward)s costs %(cost)s; your balance is %(balance)s.",
                    reward=self.name,
                    cost=card._format_points(self.points_cost)
                    if card
                    else self.points_cost,
                    balance=card.points_display if card else 0,
                )
            )
        # Serializes exchanges of this reward (see exchange_count).
        self.env.execute_query(
            SQL(
                "UPDATE crm_loyalty_mall_item SET exchange_count = exchange_count + 1"
                " WHERE id = %s",
                self.id,
            )
        )
        self.invalidate_recordset(["exchange_count"])
        left = self._stock_left()
        if left is not None and left <= 0:
            raise UserError(
                self.env._("%(reward)s is out of stock for now.", reward=self.name)
            )
        entry = Entry._post(
            card,
            "redeem",
            -self.points_cost,
            key,
            source=self,
            reason_code="mall",
            reason_params={"name": self._names()},
        )
        today = fields.Date.context_today(self)
        return self.env["loyalty.card"].create(
            {
                "program_id": self.reward_program_id.id,
                "partner_id": partner.id,
                "points": self.code_points,
                "expiration_date": today + timedelta(days=self.validity_days)
                if self.validity_days
                else False,
                "crm_mall_item_id": self.id,
                "crm_mall_entry_id": entry.id,
            }
        )

    def _names(self):
        """The reward's name in every language, for the entry's reason."""
        self.ensure_one()
        self.flush_recordset(["name"])
        [(names,)] = self.env.execute_query(
            SQL("SELECT name FROM crm_loyalty_mall_item WHERE id = %s", self.id)
        )
        return names

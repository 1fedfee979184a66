from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_is_zero

from odoo.addons.crm_lifecycle.rpc_guards import ensure_existing

from ..models.crm_loyalty_entry import POINT_DIGITS, show_points_by_precision
from ..tools.ledger import MAX_POINTS


class CrmLoyaltyAdjustWizard(models.TransientModel):
    _name = "crm.loyalty.adjust.wizard"
    _description = "Adjust Loyalty Points"

    card_id = fields.Many2one("loyalty.card", required=True, readonly=True)
    balance = fields.Float(related="card_id.points", string="Current balance")
    points = fields.Float(
        required=True, help="Positive to add points, negative to take them away."
    )
    reason = fields.Char(required=True)

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        return show_points_by_precision(
            self,
            super().fields_get(allfields, attributes),
            attributes,
            ("points", "balance"),
        )

    @api.constrains("points")
    def _check_points(self):
        for wizard in self:
            # Written so that NaN and infinities are refused too.
            if not abs(wizard.points) <= MAX_POINTS:
                raise ValidationError(
                    self.env._(
                        "An adjustment moves at most %(max)s points.", max=MAX_POINTS
                    )
                )
            self.env["crm.loyalty.entry"]._check_point_precision(wizard.points)
            # The ledger counts points in cents: 0.004 points would be none.
            if float_is_zero(wizard.points, precision_digits=POINT_DIGITS):
                raise ValidationError(
                    self.env._("An adjustment needs a non-zero number of points.")
                )

    def action_adjust(self):
        ensure_existing(self)
        self.ensure_one()
        self.env["crm.loyalty.entry"].check_access("read")
        if not self.env.user.has_group("crm_loyalty.group_loyalty_manager"):
            raise UserError(self.env._("Only loyalty managers can adjust points."))
        if not self.card_id.program_id._crm_is_ledger():
            raise UserError(
                self.env._("This card is not managed by the points ledger.")
            )
        self.card_id._crm_post_adjustment(
            self.points, self.reason, key=f"{self._name}:{self.id}", source=self
        )
        return {"type": "ir.actions.act_window_close"}

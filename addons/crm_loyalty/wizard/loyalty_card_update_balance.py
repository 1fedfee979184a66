from odoo import models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.crm_lifecycle.rpc_guards import ensure_existing


class LoyaltyCardUpdateBalance(models.TransientModel):
    _inherit = "loyalty.card.update.balance"

    def action_update_card_point(self):
        """Odoo's wizard sets an absolute balance; on ledger cards it posts the
        difference as a signed adjustment carrying the description."""
        ensure_existing(self)
        self.ensure_one()
        if not self.card_id.program_id._crm_is_ledger():
            return super().action_update_card_point()
        if not self.env.user.has_group("crm_loyalty.group_loyalty_manager"):
            raise UserError(
                self.env._("Only loyalty managers can change a ledger card's balance.")
            )
        if self.old_balance == self.new_balance or self.new_balance < 0:
            raise ValidationError(
                self.env._(
                    "New Balance should be positive and different then old balance."
                )
            )
        difference = self.new_balance - self.old_balance
        self.env["crm.loyalty.entry"]._check_point_precision(difference)
        self.env["loyalty.history"].create(
            {
                "card_id": self.card_id.id,
                "description": self.description,
                "issued": max(difference, 0),
                "used": max(-difference, 0),
            }
        )
        self.card_id._crm_post_adjustment(
            difference, self.description, key=f"{self._name}:{self.id}", source=self
        )
        return True

from odoo import api, models

from .loyalty_card import REWARD_LINE, TRUSTED


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    # sale_loyalty adjusts the card of a reward line on a confirmed order in
    # these three methods; the card accepts those writes from salespeople.

    @api.model_create_multi
    def create(self, vals_list):
        lines = super(
            SaleOrderLine, self.with_context(**{REWARD_LINE: TRUSTED})
        ).create(vals_list)
        return lines.with_env(self.env)

    def write(self, vals):
        if "points_cost" not in vals:
            return super().write(vals)
        return super(SaleOrderLine, self.with_context(**{REWARD_LINE: TRUSTED})).write(
            vals
        )

    def unlink(self):
        return super(
            SaleOrderLine, self.with_context(**{REWARD_LINE: TRUSTED})
        ).unlink()

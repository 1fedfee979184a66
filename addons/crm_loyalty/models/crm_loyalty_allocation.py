from odoo import api, fields, models

from .crm_loyalty_entry import show_points_by_precision


class CrmLoyaltyAllocation(models.Model):
    """Which lot a negative entry took its points from (negative points when
    a reversal gives them back)."""

    _name = "crm.loyalty.allocation"
    _description = "Loyalty Points Allocation"
    _order = "id"

    entry_id = fields.Many2one(
        "crm.loyalty.entry",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    lot_id = fields.Many2one(
        "crm.loyalty.lot", required=True, readonly=True, index=True
    )
    points = fields.Float(readonly=True, digits=(16, 2))

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        return show_points_by_precision(
            self, super().fields_get(allfields, attributes), attributes, ("points",)
        )

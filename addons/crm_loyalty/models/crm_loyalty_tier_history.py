from odoo import fields, models


class CrmLoyaltyTierHistory(models.Model):
    _name = "crm.loyalty.tier.history"
    _description = "Loyalty Tier History"
    _order = "date desc, id desc"

    partner_id = fields.Many2one(
        "res.partner",
        "Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    from_tier_id = fields.Many2one("crm.loyalty.tier", "From", readonly=True)
    to_tier_id = fields.Many2one("crm.loyalty.tier", "To", readonly=True)
    date = fields.Date(required=True, readonly=True)
    metric = fields.Float("Qualifying activity", readonly=True)
    reason = fields.Char(readonly=True)

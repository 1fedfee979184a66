from odoo import api, fields, models


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
    reason = fields.Char(
        "Typed reason",
        readonly=True,
        help="A reason given as text, or as written before reasons were codes.",
    )
    reason_code = fields.Selection(
        [("upgrade", "Qualified"), ("requalify", "Yearly requalification")],
        readonly=True,
    )
    reason_display = fields.Char("Reason", compute="_compute_reason_display")

    @api.depends("reason", "reason_code")
    @api.depends_context("lang")
    def _compute_reason_display(self):
        """The review's reasons are worded in the reader's language; older
        rows and other reasons show their text."""
        labels = dict(self._fields["reason_code"]._description_selection(self.env))
        for history in self:
            history.reason_display = (
                labels[history.reason_code]
                if history.reason_code
                else history.reason or ""
            )

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, ormcache

from ..tools.multipliers import MAX_FACTOR


class CrmLoyaltyCampaign(models.Model):
    """A time-limited earn multiplier, e.g. a double-points week."""

    _name = "crm.loyalty.campaign"
    _inherit = ["crm.lifecycle.cached.mixin"]
    _description = "Loyalty Points Campaign"
    _order = "date_from desc"

    name = fields.Char(required=True, translate=True)
    program_id = fields.Many2one(
        "loyalty.program", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    factor = fields.Float(default=2.0, required=True)

    @api.constrains("date_from", "date_to", "factor")
    def _check_campaign(self):
        for campaign in self:
            if campaign.date_to < campaign.date_from:
                raise ValidationError(
                    self.env._("A campaign cannot end before it starts.")
                )
            if campaign.factor <= 1:
                raise ValidationError(
                    self.env._("A campaign multiplies points by more than 1.")
                )
            # Written so that NaN and infinities are refused too.
            if not campaign.factor <= MAX_FACTOR:
                raise ValidationError(
                    self.env._("Multipliers cannot exceed %(max)s.", max=MAX_FACTOR)
                )

    @api.model
    @ormcache("program_id")
    def _for_program(self, program_id):
        """``(names, date_from, date_to, factor)`` of the program's campaigns,
        ``names`` in every language (``{lang: name}``): the earned entry
        keeps them, to be worded in its reader's language.

        Read by every order confirmation, changed a few times a year: kept per
        registry and dropped on every change of a campaign.
        """
        # The campaigns apply whoever confirms the order, and the cache is
        # shared by all users: read as superuser.
        campaigns = self.sudo().search([("program_id", "=", program_id)])
        self.flush_model(["name"])
        names = dict(
            self.env.execute_query(
                SQL(
                    "SELECT id, name FROM crm_loyalty_campaign WHERE id = ANY(%s)",
                    campaigns.ids,
                )
            )
        )
        return tuple((names[c.id], c.date_from, c.date_to, c.factor) for c in campaigns)

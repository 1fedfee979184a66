from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import scoring


class CrmChurnSignal(models.Model):
    """The weight of one risk signal in the score.

    One record per signal of ``tools.scoring.SIGNALS``, shipped as data;
    managers change the weights (0 switches a signal off) but not the list,
    since each signal needs its own gathering code.
    """

    _name = "crm.churn.signal"
    _description = "Churn Risk Signal"
    _order = "sequence, id"

    code = fields.Selection(
        [
            ("prob_alive", "Unlikely to still be a customer"),
            ("no_purchase_90", "No purchase in the next 90 days"),
            ("overdue", "Overdue against the usual gap"),
            ("frequency_drop", "Drop in order frequency"),
            ("spending_drop", "Drop in spending"),
            ("stage", "Lifecycle stage"),
            ("segment", "RFM segment"),
            ("cancellations", "Cancelled orders and refunds"),
            ("rating", "Low customer ratings"),
            ("points_expiring", "Points expiring unused"),
            ("tier_at_risk", "Tier at risk of dropping"),
            ("no_redemption", "No redemption for a long time"),
            ("few_purchases_90", "Few purchases expected in the next 90 days"),
            ("complaints", "Complaints"),
        ],
        required=True,
        readonly=True,
    )
    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True)
    sequence = fields.Integer(default=10)
    weight = fields.Float(required=True, default=0.0, digits=(16, 1))
    default_weight = fields.Float(
        "Default weight", compute="_compute_default_weight", digits=(16, 1)
    )

    _sql_constraints = [
        ("code_uniq", "UNIQUE(code)", "Each signal exists once."),
    ]

    @api.depends("code")
    def _compute_default_weight(self):
        for signal in self:
            signal.default_weight = self._default_weights().get(signal.code, 0.0)

    @api.constrains("weight")
    def _check_weight(self):
        for signal in self:
            if not 0 <= signal.weight <= 1000:
                raise ValidationError(
                    self.env._("A signal weight must be between 0 and 1000.")
                )

    @api.model
    def _default_weights(self):
        """Default weight by code; an addon adding a signal adds its own."""
        return {**scoring.DEFAULT_WEIGHTS, **scoring.EXTRA_DEFAULT_WEIGHTS}

    @api.model
    def _weights(self):
        """Weights by code; signals missing from the table keep their default."""
        weights = self._default_weights()
        # Weights are configuration, read by the cron and by any salesperson
        # whose order confirmation refreshes a score.
        for signal in self.sudo().search([]):
            weights[signal.code] = signal.weight
        return weights

    def action_reset_weights(self):
        for signal in self:
            signal.weight = self._default_weights().get(signal.code, 0.0)

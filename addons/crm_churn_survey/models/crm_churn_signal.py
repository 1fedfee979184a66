from odoo import api, fields, models

# Points of the score when every signal is available (the built-in ones
# add up to 100).
NPS_WEIGHTS = {"nps_detractor": 10.0, "nps_falling": 5.0}


class CrmChurnSignal(models.Model):
    _inherit = "crm.churn.signal"

    code = fields.Selection(
        selection_add=[
            ("nps_detractor", "Detractor answer (NPS)"),
            ("nps_falling", "Falling NPS score"),
        ],
        ondelete={"nps_detractor": "cascade", "nps_falling": "cascade"},
    )

    @api.model
    def _default_weights(self):
        return {**super()._default_weights(), **NPS_WEIGHTS}

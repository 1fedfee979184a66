from odoo import fields, models


class CrmChurnReason(models.Model):
    """Why a customer left, asked when an alert is closed as lost (as CRM's
    lost reasons)."""

    _name = "crm.churn.reason"
    _description = "Churn Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    alert_count = fields.Integer("Alerts", compute="_compute_alert_count")

    def _compute_alert_count(self):
        counts = dict(
            self.env["crm.churn.alert"]._read_group(
                [("lost_reason_id", "in", self.ids)], ["lost_reason_id"], ["__count"]
            )
        )
        for reason in self:
            reason.alert_count = counts.get(reason, 0)

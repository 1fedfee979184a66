from odoo import fields, models
from odoo.exceptions import UserError


class CrmChurnAlertLost(models.TransientModel):
    """Asks why the customer left before closing the alert, as CRM's lost
    reason wizard does."""

    _name = "crm.churn.alert.lost"
    _description = "Close Churn Alert as Lost"

    alert_ids = fields.Many2many("crm.churn.alert", string="Alerts")
    lost_reason_id = fields.Many2one(
        "crm.churn.reason", "Churn reason", required=True, ondelete="cascade"
    )
    lost_note = fields.Text("Note")

    def action_confirm(self):
        self.ensure_one()
        # Alerts the user may not read are filtered out of the many2many by
        # the record rules: say so instead of closing nothing.
        if not self.alert_ids:
            raise UserError(self.env._("There is no alert you can close here."))
        self.alert_ids._set_lost(self.lost_reason_id, self.lost_note)
        return {"type": "ir.actions.act_window_close"}

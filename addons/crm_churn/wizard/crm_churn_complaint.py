from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.mail_activity import COMPLAINT_SEVERITY


class CrmChurnComplaint(models.TransientModel):
    """Log a complaint on a customer (Action menu of the customer): what
    it is about and how serious; the activity follows the member's service
    level (``res.partner._churn_log_complaint``)."""

    _name = "crm.churn.complaint"
    _description = "Log a Complaint"

    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, ondelete="cascade"
    )
    severity = fields.Selection(
        COMPLAINT_SEVERITY,
        required=True,
        default="medium",
        help="Critical: answered the same working day and a strong churn sign "
        "while open; serious: the next working day; minor: within three. A "
        "member's tier may promise faster.",
    )
    summary = fields.Char("About", required=True)
    note = fields.Html("What the customer said")
    user_id = fields.Many2one(
        "res.users",
        "Responsible",
        help="Empty: the member's account manager, else the salesperson.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if (
            "partner_id" in fields_list
            and not values.get("partner_id")
            and self.env.context.get("active_model") == "res.partner"
        ):
            values["partner_id"] = self.env.context.get("active_id")
        return values

    def action_confirm(self):
        self.ensure_one()
        if not self.partner_id:
            raise UserError(self.env._("Choose the customer who complains."))
        self.partner_id._churn_log_complaint(
            self.severity, self.summary, self.note, self.user_id or None
        )
        return {"type": "ir.actions.act_window_close"}

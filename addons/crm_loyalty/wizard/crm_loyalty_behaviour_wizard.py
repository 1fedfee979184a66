from odoo import fields, models
from odoo.exceptions import UserError


class CrmLoyaltyBehaviourWizard(models.TransientModel):
    _name = "crm.loyalty.behaviour.wizard"
    _description = "Grant Behaviour Points"

    partner_id = fields.Many2one("res.partner", "Customer", required=True)
    behaviour_id = fields.Many2one(
        "crm.loyalty.behaviour", required=True, domain="[('active', '=', True)]"
    )
    points = fields.Float(related="behaviour_id.points")
    reference = fields.Char(
        help="The event's reference (e.g. the review's link); each reference is "
        "granted once."
    )
    note = fields.Char()

    def action_grant(self):
        self.ensure_one()
        if not self.env.user.has_group("crm_loyalty.group_loyalty_manager"):
            raise UserError(self.env._("Only loyalty managers can grant points."))
        reference = self.reference or f"{self._name}:{self.id}"
        self.behaviour_id._grant(self.partner_id, reference, self.note)
        return {"type": "ir.actions.act_window_close"}

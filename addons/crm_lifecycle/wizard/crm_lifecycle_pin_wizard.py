from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..models.crm_lifecycle_profile import STAGE_SELECTION
from ..rpc_guards import ensure_existing


class CrmLifecyclePinWizard(models.TransientModel):
    _name = "crm.lifecycle.pin.wizard"
    _description = "Pin a Lifecycle Stage"

    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, domain="[('is_company', '=', True)]"
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    stage = fields.Selection(STAGE_SELECTION, required=True)
    reason = fields.Char(required=True)
    pin_until = fields.Date(
        "Until", help="Leave empty to keep the stage until someone unpins it."
    )

    @api.constrains("pin_until")
    def _check_pin_until(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            if wizard.pin_until and wizard.pin_until < today:
                raise ValidationError(
                    self.env._("The pin end date cannot be in the past.")
                )

    def action_pin(self):
        ensure_existing(self)
        self.ensure_one()
        Profile = self.env["crm.lifecycle.profile"]
        Profile.check_access("write")
        partner = self.partner_id.commercial_partner_id
        profile = Profile.search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company_id.id)]
        )
        if not profile:
            Profile._refresh_partners(partner.ids)
            profile = Profile.search(
                [
                    ("partner_id", "=", partner.id),
                    ("company_id", "=", self.company_id.id),
                ]
            )
        if not profile:
            raise UserError(
                self.env._(
                    "%(customer)s has no sale order in %(company)s yet: there is no "
                    "lifecycle to pin.",
                    customer=partner.display_name,
                    company=self.company_id.name,
                )
            )
        profile._pin(self.stage, self.reason, self.pin_until)
        return {"type": "ir.actions.act_window_close"}

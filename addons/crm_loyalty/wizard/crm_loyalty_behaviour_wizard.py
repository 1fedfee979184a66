from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.crm_lifecycle.rpc_guards import ensure_existing

from ..models.crm_loyalty_entry import show_points_by_precision


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

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        return show_points_by_precision(
            self, super().fields_get(allfields, attributes), attributes, ("points",)
        )

    @api.constrains("reference")
    def _check_reference(self):
        # The reference is part of the entry's unique key, as in
        # grant_behaviour_points().
        for wizard in self:
            if wizard.reference and len(wizard.reference) > 128:
                raise ValidationError(
                    self.env._("The reference is limited to 128 characters.")
                )

    def action_grant(self):
        ensure_existing(self)
        self.ensure_one()
        if not self.env.user.has_group("crm_loyalty.group_loyalty_manager"):
            raise UserError(self.env._("Only loyalty managers can grant points."))
        behaviour = self.behaviour_id
        program = behaviour.program_id
        # The same behaviours as grant_behaviour_points() may grant.
        if not (behaviour.active and program.active and program._crm_is_ledger()):
            raise UserError(
                self.env._(
                    "%(behaviour)s is archived or its program does not use the "
                    "points ledger.",
                    behaviour=behaviour.display_name,
                )
            )
        reference = self.reference or f"{self._name}:{self.id}"
        self.behaviour_id._grant(self.partner_id, reference, self.note)
        return {"type": "ir.actions.act_window_close"}

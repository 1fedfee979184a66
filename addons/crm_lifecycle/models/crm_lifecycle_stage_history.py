from odoo import api, fields, models

from .crm_lifecycle_profile import STAGE_SELECTION


class CrmLifecycleStageHistory(models.Model):
    """One stay of a customer in a lifecycle stage.

    Written in bulk by the recompute (one statement closes the open stays
    and opens the new ones), and by managers pinning a stage. Stays are
    facts: nobody edits them afterwards.
    """

    _name = "crm.lifecycle.stage.history"
    _inherit = ["crm.lifecycle.stay.mixin", "crm.lifecycle.group.order.mixin"]
    _description = "Lifecycle Stage History"
    _order = "date_start desc, id desc"
    _rec_name = "stage"
    # No create/write user and date: see crm.lifecycle.stay.mixin.
    _log_access = False
    _stay_field = "stage"
    _stay_previous_field = "previous_stage"
    _lifecycle_ordered_groups = ("stage", "previous_stage")

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
    user_id = fields.Many2one(related="partner_id.user_id", string="Salesperson")
    stage = fields.Selection(STAGE_SELECTION, required=True, readonly=True)
    previous_stage = fields.Selection(STAGE_SELECTION, "From stage", readonly=True)
    date_start = fields.Date("Entered", required=True, readonly=True)
    date_end = fields.Date("Exited", readonly=True)
    duration_days = fields.Integer(
        "Days in stage",
        readonly=True,
        aggregator="avg",
        help="Filled when the customer leaves the stage.",
    )
    is_current = fields.Boolean(
        compute="_compute_is_current", search="_search_is_current"
    )
    is_manual = fields.Boolean("Manual", readonly=True)
    changed_by_id = fields.Many2one("res.users", "Changed by", readonly=True)
    reason = fields.Char(readonly=True)

    @api.depends("date_end")
    def _compute_is_current(self):
        for stay in self:
            stay.is_current = not stay.date_end

    def _search_is_current(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        current = (operator == "=") == bool(value)
        return [("date_end", "=" if current else "!=", False)]

    @api.model
    def _record_moves(self, moves, day, manual=False, reason=False):
        """Stays of moved customers; manual moves record who and why."""
        return super()._record_moves(
            moves,
            day,
            extra={
                "is_manual": manual,
                "changed_by_id": self.env.uid if manual else None,
                "reason": reason or None,
            },
        )

from odoo import fields, models

from .crm_lifecycle_profile import SEGMENT_SELECTION


class CrmRfmSegmentHistory(models.Model):
    """One stay of a customer in an RFM segment, written in bulk."""

    _name = "crm.rfm.segment.history"
    _inherit = ["crm.lifecycle.stay.mixin", "crm.lifecycle.group.order.mixin"]
    _description = "RFM Segment History"
    _order = "date_start desc, id desc"
    _rec_name = "segment"
    # No create/write user and date: see crm.lifecycle.stay.mixin.
    _log_access = False
    _stay_field = "segment"
    _stay_previous_field = "previous_segment"
    _lifecycle_ordered_groups = ("segment", "previous_segment")

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
    segment = fields.Selection(SEGMENT_SELECTION, required=True, readonly=True)
    previous_segment = fields.Selection(
        SEGMENT_SELECTION, "From segment", readonly=True
    )
    date_start = fields.Date("Entered", required=True, readonly=True)
    date_end = fields.Date("Exited", readonly=True)
    duration_days = fields.Integer("Days in segment", readonly=True, aggregator="avg")

from odoo import fields, models


class CrmLifecycleProfile(models.Model):
    """The customers kanban's columns: every lifecycle stage in the order
    customers go through it, the empty ones folded, and the profile's
    selections grouped in their own order everywhere else
    (crm.lifecycle.group.order.mixin).

    Apart from crm_lifecycle_profile.py, which holds the profile's
    computations: this is about how the web client groups profiles.
    """

    _name = "crm.lifecycle.profile"
    _inherit = ["crm.lifecycle.profile", "crm.lifecycle.group.order.mixin"]
    _lifecycle_ordered_groups = (
        "stage",
        "computed_stage",
        "rfm_segment",
        "value_class",
    )

    stage = fields.Selection(group_expand="_group_expand_lifecycle_stage")

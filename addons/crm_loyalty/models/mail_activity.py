from odoo import api, fields, models
from odoo.exceptions import UserError


class MailActivity(models.Model):
    _inherit = "mail.activity"

    loyalty_service_task_id = fields.Many2one(
        "crm.loyalty.service.task",
        "Service level record",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="Set by the suite on the activities a tier's service level "
        "created, to measure them in the Service Levels report.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        activities = super().create(vals_list)
        # Values or a context default: only the suite links a record.
        if not self.env.su and activities.filtered("loyalty_service_task_id"):
            self._loyalty_refuse_link()
        self.env["crm.loyalty.service.task"]._record(activities)
        return activities

    def write(self, vals):
        if "loyalty_service_task_id" in vals and not self.env.su:
            self._loyalty_refuse_link()
        result = super().write(vals)
        if vals.get("user_id"):
            self.env["crm.loyalty.service.task"]._follow_assignee(self)
        return result

    def unlink(self):
        # Deleted without being done: _action_done marks its tasks done first.
        self.loyalty_service_task_id._mark_cancelled()
        return super().unlink()

    def _action_done(self, feedback=False, attachment_ids=None):
        """Record when the service level's activities were done, before
        Odoo archives or deletes them."""
        self.loyalty_service_task_id._mark_done()
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)

    def _loyalty_refuse_link(self):
        """An activity a client links to a service level record could close
        somebody else's record as done in time: the suite alone links them."""
        raise UserError(
            self.env._("The service level record of an activity is set by the suite.")
        )

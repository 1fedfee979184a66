from odoo import api, fields, models

from ..tools import service_levels

# Where ``res.partner._loyalty_service`` leaves, for the current transaction,
# the deadlines it handed out: {(customer id, deadline): [promise, ...]}.
# Odoo clears the cursor's precommit data on commit and on rollback.
PROMISES = "crm_loyalty.service_promises"


class CrmLoyaltyServiceTask(models.Model):
    """One activity the suite created through a member tier's service level
    (churn alerts, journey activities, detractor calls...), with the tier,
    deadline and target of the day it was created and when it was done.

    Activities are deleted once done (unless their type keeps them), so the
    service level report cannot read them afterwards: this record outlives
    its activity. Written by the system only (the activity overrides in
    ``mail_activity.py``), read through ``crm.loyalty.service.report``."""

    _name = "crm.loyalty.service.task"
    _description = "Loyalty Service Level Activity"
    _order = "date_start desc, id desc"
    _rec_name = "partner_id"

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
    tier_id = fields.Many2one(
        "crm.loyalty.tier",
        readonly=True,
        ondelete="set null",
        help="The customer's tier when the activity was created; empty for a "
        "customer without a tier.",
    )
    user_id = fields.Many2one(
        "res.users",
        "Salesperson",
        readonly=True,
        index=True,
        ondelete="set null",
        help="Who the activity is assigned to (follows a reassignment).",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type", "Activity type", readonly=True, ondelete="set null"
    )
    summary = fields.Char(readonly=True)
    date_start = fields.Datetime("Activity created on", required=True, readonly=True)
    date_deadline = fields.Date(
        "Due date",
        required=True,
        readonly=True,
        help="The deadline the service level set; rescheduling the activity "
        "does not move it.",
    )
    target_hours = fields.Integer(
        "Target (hours)",
        readonly=True,
        help="The tier's response time when the activity was created (0: none).",
    )
    state = fields.Selection(
        [("open", "Pending"), ("done", "Done"), ("cancelled", "Cancelled")],
        required=True,
        default="open",
        readonly=True,
        index=True,
    )
    date_done = fields.Datetime("Done on", readonly=True)
    done_in_time = fields.Boolean("Done in time", default=False, readonly=True)
    response_hours = fields.Float("Actual response (hours)", readonly=True)

    # ------------------------------------------------------------------
    # Recording
    # ------------------------------------------------------------------

    @api.model
    def _expect(self, customer, company, tier, deadline):
        """Remember, for this transaction, that the service level gave
        ``customer`` (a commercial partner) this deadline in ``company``:
        the activity created for him with that deadline is the service
        level's, whichever addon creates it and however."""
        promises = self.env.cr.precommit.data.setdefault(PROMISES, {})
        promises.setdefault((customer.id, deadline), []).append(
            (company.id, tier.id, tier.service_response_hours if tier else 0)
        )

    @api.model
    def _record(self, activities):
        """A task for each new activity that a service level promised in
        this transaction (same customer, same deadline); the activity keeps
        a link to it. One promise per activity."""
        promises = self.env.cr.precommit.data.get(PROMISES)
        if not promises:
            return self
        # sudo: the activity's creator (a salesperson, the night, a survey
        # visitor) need not read its document; only its customer is read.
        customers = self._customers(activities.sudo())
        # The server's clock, not the transaction's (create_date): a night
        # run that takes an hour creates its activities over that hour.
        now = fields.Datetime.now()
        vals_list, matched = [], []
        for activity in activities:
            customer = customers.get(activity.id)
            queue = promises.get((customer, activity.date_deadline))
            if not queue:
                continue
            company_id, tier_id, target = queue.pop(0)
            matched.append(activity)
            vals_list.append(
                {
                    "partner_id": customer,
                    "company_id": company_id,
                    "tier_id": tier_id or False,
                    "user_id": activity.user_id.id,
                    "activity_type_id": activity.activity_type_id.id,
                    "summary": activity.summary,
                    "date_start": now,
                    "date_deadline": activity.date_deadline,
                    "target_hours": target,
                }
            )
        if not vals_list:
            return self
        # sudo: the tasks are the system's record of the service level,
        # written whoever creates the activity; nobody has the create right.
        tasks = self.sudo().create(vals_list)
        for activity, task in zip(matched, tasks, strict=True):
            activity.sudo().loyalty_service_task_id = task
        return tasks

    @api.model
    def _customers(self, activities):
        """{activity id: commercial partner id} for activities on a partner
        or on a record with a partner (a churn alert...); one read per
        model."""
        customers = {}
        by_model = {}
        for activity in activities:
            if activity.res_model and activity.res_id:
                by_model.setdefault(activity.res_model, []).append(activity)
        for model, group in by_model.items():
            Model = activities.env[model]
            if model == "res.partner":
                path = "commercial_partner_id"
            elif (
                "partner_id" in Model._fields
                and Model._fields["partner_id"].comodel_name == "res.partner"
            ):
                path = "partner_id"
            else:
                continue
            records = Model.browse(list({a.res_id for a in group})).exists()
            # Read through the recordset: one query for the whole model.
            partner_of = {
                record.id: record[path].commercial_partner_id.id for record in records
            }
            for activity in group:
                if partner_of.get(activity.res_id):
                    customers[activity.id] = partner_of[activity.res_id]
        return customers

    # ------------------------------------------------------------------
    # Following the activity
    # ------------------------------------------------------------------

    def _mark_done(self, when=None):
        """The activity was done at ``when`` (now): in time when done on or
        before the due date in its assignee's time zone."""
        when = when or fields.Datetime.now()
        # sudo: whoever marks the activity done records it; nobody has the
        # write right on tasks.
        for task in self.sudo().filtered(lambda t: t.state == "open"):
            day = service_levels.local_day(when, task.user_id.tz)
            task.write(
                {
                    "state": "done",
                    "date_done": when,
                    "done_in_time": service_levels.done_in_time(
                        day, task.date_deadline
                    ),
                    "response_hours": service_levels.response_hours(
                        task.date_start, when
                    ),
                }
            )

    def _mark_cancelled(self):
        """The activity was deleted without being done (cancelled, or its
        document deleted)."""
        # sudo: as _mark_done.
        self.sudo().filtered(lambda t: t.state == "open").state = "cancelled"

    @api.model
    def _follow_assignee(self, activities):
        """An open task follows its activity to its new assignee: the
        report counts an activity for whoever has to do it."""
        # sudo: as _mark_done; the assignee is read from the activity.
        for activity in activities.sudo():
            task = activity.loyalty_service_task_id
            if task.state == "open" and task.user_id != activity.user_id:
                task.user_id = activity.user_id

    @api.model
    def _load_demo_data(self):
        """Demo activities measured by the report: see demo/demo_loader.py."""
        from ..demo import demo_loader

        return demo_loader.load_service_levels(self.env)

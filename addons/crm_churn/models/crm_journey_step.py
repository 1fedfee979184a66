from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmJourneyStep(models.Model):
    """Steps of a journey a churn alert triggers act on the alert: the
    win-back offer waits there for the salesperson's approval, and the
    journey's activity words the alert's call instead of adding a second
    one."""

    _inherit = "crm.journey.step"

    kind = fields.Selection(
        selection_add=[("alert_offer", "Win-back offer on the churn alert")],
        ondelete={"alert_offer": "cascade"},
    )
    alert_offer_type = fields.Selection(
        [
            ("none", "Email only"),
            ("coupon", "Single-use coupon"),
            ("points", "Bonus points"),
        ],
        "Win-back offer",
        default="coupon",
        help="Made on the customer's open churn alert: it waits for the "
        "salesperson's approval, unless the settings send offers at once. "
        "Coupon: the step's program, else the default of the settings.",
    )
    alert_mail_template_id = fields.Many2one(
        "mail.template",
        "Email with the offer",
        domain="[('model', '=', 'crm.churn.alert')]",
        help="Sent to the customer when the offer is approved, with consent.",
    )

    @api.constrains("kind", "alert_offer_type", "points_program_id", "points")
    def _check_alert_offer(self):
        for step in self.filtered(lambda s: s.kind == "alert_offer"):
            if step.journey_id.trigger != "churn_alert":
                raise ValidationError(
                    self.env._(
                        "A win-back offer on the churn alert needs a journey "
                        "triggered by a churn alert (%(journey)s).",
                        journey=step.journey_id.name,
                    )
                )
            if step.alert_offer_type == "points" and (
                not step.points_program_id or step.points <= 0
            ):
                raise ValidationError(
                    self.env._(
                        "A bonus points offer needs a points program and a "
                        "positive number of points."
                    )
                )
            if step.alert_offer_type == "none" and not step.alert_mail_template_id:
                raise ValidationError(
                    self.env._("An offer by email only needs its email template.")
                )

    def _own_alerts(self, participants):
        """``{participant id: open alert}`` of the alerts this step's journey
        took (``crm.journey._enrol``): another journey's alert is left to
        it."""
        alerts = self.env["crm.churn.alert"].search(
            [
                ("partner_id", "in", participants.partner_id.ids),
                ("company_id", "=", self.journey_id.company_id.id),
                ("stage", "in", ("new", "in_progress")),
                ("journey_id", "=", self.journey_id.id),
            ]
        )
        by_partner = {alert.partner_id.id: alert for alert in alerts}
        return {
            participant.id: by_partner[participant.partner_id.id]
            for participant in participants
            if participant.partner_id.id in by_partner
        }

    def _execute_alert_offer(self, participants, as_of):
        own = self._own_alerts(participants)
        alerts = self.env["crm.churn.alert"].browse(
            [alert.id for alert in own.values()]
        )
        # One offer per alert: a later step of the journey offers nothing
        # more once one is made.
        fresh = alerts.filtered(lambda a: a.offer_state == "none")
        emailed = fresh._prepare_offer(self)
        outcomes = {}
        for participant in participants:
            alert = own.get(participant.id)
            if not alert or alert not in fresh:
                outcomes[participant.id] = "skipped"
            elif alert in emailed:
                outcomes[participant.id] = "sent"
            else:
                outcomes[participant.id] = "done"
        return outcomes

    def _execute_activity(self, participants, as_of):
        """In a journey a churn alert triggers, the activity is the alert's:
        the first activity step words the alert's call, a later one adds
        another, due in the step's working days; participants whose alert
        closed or follows another journey get none."""
        if self.journey_id.trigger != "churn_alert":
            return super()._execute_activity(participants, as_of)
        own = self._own_alerts(participants)
        first = self.journey_id.step_ids.filtered(
            lambda s: s.kind == "activity"
        ).sorted(lambda s: (s.sequence, s.id))[:1]
        outcomes = {}
        for participant in participants:
            alert = own.get(participant.id)
            if not alert:
                outcomes[participant.id] = "skipped"
                continue
            # The alert's salesperson's language, as the alert's own call.
            step = self.with_context(lang=alert.user_id.lang or self.env.lang)
            if step == first:
                alert._word_activity(
                    step.activity_type_id,
                    step.activity_summary,
                    step.activity_note,
                )
            else:
                _user, deadline = participant.partner_id._loyalty_service(
                    alert.company_id, as_of, max(step.activity_days, 0), alert.user_id
                )
                alert._word_activity(
                    step.activity_type_id,
                    step.activity_summary or step.journey_id.name,
                    step.activity_note,
                    reword=False,
                    deadline=deadline,
                )
            outcomes[participant.id] = "done"
        return outcomes

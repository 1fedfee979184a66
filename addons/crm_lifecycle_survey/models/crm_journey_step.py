from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmJourneyStep(models.Model):
    """A step that invites the customer to an NPS or satisfaction survey:
    a survey response is created for the customer (the survey's own
    invitation, with its personal link) and emailed, with the same consent
    and weekly cap as any journey email."""

    _inherit = "crm.journey.step"

    kind = fields.Selection(
        selection_add=[("survey", "Survey invitation")],
        ondelete={"survey": "cascade"},
    )
    survey_id = fields.Many2one(
        "survey.survey",
        domain="[('crm_kind', 'in', ('nps', 'csat'))]",
        help="An NPS or satisfaction survey (Surveys app, Customer feedback).",
    )
    survey_mail_template_id = fields.Many2one(
        "mail.template",
        "Invitation email",
        domain="[('model', '=', 'survey.user_input')]",
        default=lambda self: self.env.ref(
            "crm_lifecycle_survey.mail_template_survey_invitation",
            raise_if_not_found=False,
        ),
    )
    survey_answer_days = fields.Integer(
        "Answer within (days)",
        default=30,
        help="The link stops working after this many days; 0: no limit.",
    )

    @api.constrains(
        "kind", "survey_id", "survey_mail_template_id", "survey_answer_days"
    )
    def _check_survey(self):
        for step in self.filtered(lambda s: s.kind == "survey"):
            if (
                not step.survey_id
                or not step.survey_mail_template_id
                or step.survey_answer_days < 0
            ):
                raise ValidationError(
                    self.env._(
                        "Step %(step)s of %(journey)s is not complete: a survey "
                        "invitation needs an NPS or satisfaction survey, an "
                        "invitation email and a number of days to answer of at "
                        "least 0.",
                        step=step.name or "",
                        journey=step.journey_id.name,
                    )
                )
            if step.survey_id.crm_kind == "none" or not (
                step.survey_id._crm_score_question()
            ):
                raise ValidationError(
                    self.env._(
                        "%(survey)s is not an NPS or satisfaction survey with its "
                        "score question: mark it as customer feedback in the "
                        "Surveys app first.",
                        survey=step.survey_id.title,
                    )
                )

    def _execute_survey(self, participants, as_of):
        reach, never, later = self._reachable(participants, as_of, "email")
        if reach:
            invitations = self._survey_invitations(reach, as_of)
            self._send_emails(self.survey_mail_template_id, reach, invitations)
        return self._outcomes(reach, never, later)

    def _survey_invitations(self, participants, as_of):
        """One survey response per participant (the survey's own invitation
        mechanism, no attempt limit: the journey's period says how often),
        bound to the journey's company, in the order of ``participants``."""
        deadline = (
            datetime.combine(as_of + timedelta(days=self.survey_answer_days), time.max)
            if self.survey_answer_days
            else False
        )
        # sudo: the night invites on behalf of the company; its user need not
        # be a survey officer.
        survey = self.survey_id.sudo()
        invitations = self.env["survey.user_input"].sudo()
        for participant in participants:
            invitations |= survey._create_answer(
                partner=participant.partner_id,
                check_attempts=False,
                deadline=deadline,
                crm_company_id=participant.company_id.id,
            )
        return invitations

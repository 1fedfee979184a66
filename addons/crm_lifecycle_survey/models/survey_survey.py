from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import nps


class SurveySurvey(models.Model):
    _inherit = "survey.survey"

    crm_kind = fields.Selection(
        [("none", "Other survey"), ("nps", "NPS"), ("csat", "Satisfaction (CSAT)")],
        "Customer feedback",
        default="none",
        required=True,
        help="NPS: the answers to the 0-10 question are kept on the customer "
        "(promoter, passive, detractor) and in the NPS report. Satisfaction: "
        "the 1-5 answers go to the satisfaction report. Either way a completed "
        "survey earns the survey behaviour points and an unhappy answer "
        "creates a call for the salesperson.",
    )

    @api.constrains("crm_kind", "question_and_page_ids")
    def _check_crm_kind(self):
        for survey in self.filtered(lambda s: s.crm_kind != "none"):
            if not survey._crm_score_question():
                low, high = nps.scale_bounds(survey.crm_kind)
                raise ValidationError(
                    self.env._(
                        "%(survey)s is a customer feedback survey: it needs a "
                        "scale question from %(low)s to %(high)s, whose answer "
                        "is the customer's score.",
                        survey=survey.title,
                        low=low,
                        high=high,
                    )
                )

    def _crm_score_question(self):
        """The question whose answer is the score: the first scale question
        with the bounds of the survey's kind (others are extra questions)."""
        self.ensure_one()
        if self.crm_kind == "none":
            return self.env["survey.question"]
        low, high = nps.scale_bounds(self.crm_kind)
        return self.question_ids.sorted().filtered(
            lambda q: (
                q.question_type == "scale"
                and q.scale_min == low
                and q.scale_max == high
            )
        )[:1]

    def _crm_comment_question(self):
        """The "Why?" question: the first free text question."""
        self.ensure_one()
        return self.question_ids.sorted().filtered(
            lambda q: q.question_type in ("text_box", "char_box")
        )[:1]

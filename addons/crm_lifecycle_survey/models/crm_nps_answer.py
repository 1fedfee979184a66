import logging

from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.crm_lifecycle.models.crm_lifecycle_profile import (
    SEGMENT_SELECTION,
    STAGE_SELECTION,
)

from ..tools import nps

_logger = logging.getLogger(__name__)

CATEGORY_SELECTION = [
    ("promoter", "Promoter"),
    ("passive", "Passive"),
    ("detractor", "Detractor"),
]


class CrmNpsAnswer(models.Model):
    """One customer's answer to an NPS or satisfaction survey, kept with
    what the customer was at that moment (stage, segment, tier,
    salesperson), so that the reports say how each group of customers
    feels, not how today's groups felt back then.

    Written by the system when the customer completes the survey, never by
    users: one answer per survey response."""

    _name = "crm.nps.answer"
    _description = "Customer Feedback Answer"
    _order = "date desc, id desc"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    survey_id = fields.Many2one("survey.survey", required=True, readonly=True)
    user_input_id = fields.Many2one(
        "survey.user_input", "Survey response", readonly=True, ondelete="set null"
    )
    kind = fields.Selection(
        [("nps", "NPS"), ("csat", "Satisfaction (CSAT)")],
        "Survey type",
        required=True,
        readonly=True,
    )
    date = fields.Date(required=True, readonly=True, index=True)
    score = fields.Integer(readonly=True, aggregator="avg")
    category = fields.Selection(
        CATEGORY_SELECTION,
        "NPS category",
        readonly=True,
        help="NPS answers: promoter 9-10, passive 7-8, detractor 0-6.",
    )
    nps_value = fields.Integer(
        "NPS",
        readonly=True,
        aggregator="avg",
        help="+100 for a promoter, 0 for a passive, -100 for a detractor: the "
        "average over NPS answers is the Net Promoter Score.",
    )
    satisfied = fields.Boolean(
        readonly=True, help="Satisfaction answers: 4 or 5 out of 5."
    )
    csat_value = fields.Integer(
        "Satisfied (%)",
        readonly=True,
        aggregator="avg",
        help="100 for a satisfied customer, 0 otherwise: the average over "
        "satisfaction answers is the share of satisfied customers.",
    )
    unhappy = fields.Boolean(
        readonly=True,
        help="A detractor (NPS 0-6) or an unhappy satisfaction answer (1-2): "
        "the salesperson got a call to make.",
    )
    comment = fields.Text("Why", readonly=True)
    lifecycle_stage = fields.Selection(
        STAGE_SELECTION, "Lifecycle stage", readonly=True
    )
    rfm_segment = fields.Selection(SEGMENT_SELECTION, "RFM segment", readonly=True)
    tier_id = fields.Many2one("crm.loyalty.tier", "Member tier", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    points = fields.Float(
        "Points earned",
        readonly=True,
        help="Behaviour points the answer earned (none beyond the behaviour's "
        "cap or without a loyalty program).",
    )

    _sql_constraints = [
        (
            "user_input_uniq",
            "UNIQUE(user_input_id)",
            "A survey response is recorded once.",
        ),
    ]

    # ------------------------------------------------------------------
    # Recording (the survey's completion)
    # ------------------------------------------------------------------

    @api.model
    def _record(self, user_inputs):
        """Record the completed feedback responses not recorded yet, then
        update the customers' NPS, grant the points and ask the
        salespeople to call the unhappy ones. A response recorded before
        (the hook called again) changes nothing."""
        # sudo: the customer completing the survey (public or portal user)
        # may read no answer; nobody but the system writes them.
        Answer = self.sudo()
        done = set(
            Answer.search([("user_input_id", "in", user_inputs.ids)]).user_input_id.ids
        )
        vals_list = []
        for user_input in user_inputs:
            if user_input.id in done or user_input.state != "done":
                continue
            vals = self._answer_vals(user_input)
            if vals:
                vals_list.append(vals)
        answers = Answer.create(vals_list)
        for answer in answers:
            answer._apply_to_customer()
            answer._grant_points()
            if answer.unhappy:
                answer._follow_up()
        return answers

    @api.model
    def _answer_vals(self, user_input):
        """The answer of a completed response, or None when the customer is
        unknown or skipped the score question."""
        survey = user_input.survey_id
        partner = user_input.partner_id.commercial_partner_id
        question = survey._crm_score_question()
        if not partner or not question:
            return None
        lines = user_input.user_input_line_ids
        score_line = lines.filtered(
            lambda line: line.question_id == question and not line.skipped
        )[:1]
        if not score_line:
            return None
        score = score_line.value_scale
        kind = survey.crm_kind
        comment_question = survey._crm_comment_question()
        comment_line = lines.filtered(
            lambda line: line.question_id == comment_question and not line.skipped
        )[:1]
        company = user_input.crm_company_id or partner.company_id or self.env.company
        # What the customer is now, in the company that asked.
        customer = partner.with_company(company)
        category = nps.nps_category(score) if kind == "nps" else False
        satisfied = nps.csat_satisfied(score) if kind == "csat" else False
        return {
            "partner_id": partner.id,
            "company_id": company.id,
            "survey_id": survey.id,
            "user_input_id": user_input.id,
            "kind": kind,
            "date": fields.Date.context_today(
                self, user_input.end_datetime or fields.Datetime.now()
            ),
            "score": score,
            "category": category,
            "nps_value": nps.nps_value(category) if category else 0,
            "satisfied": satisfied,
            "csat_value": 100 if satisfied else 0,
            "unhappy": nps.needs_follow_up(kind, score),
            "comment": (
                comment_line.value_text_box or comment_line.value_char_box or False
            ),
            "lifecycle_stage": customer.lifecycle_stage or False,
            "rfm_segment": customer.rfm_segment or False,
            "tier_id": customer.loyalty_tier_id.id,
            "user_id": partner.user_id.id,
        }

    def _apply_to_customer(self):
        """The customer's latest NPS in the answer's company (only there)."""
        self.ensure_one()
        if self.kind != "nps":
            return
        customer = self.partner_id.with_company(self.company_id)
        if customer.nps_last_date and customer.nps_last_date > self.date:
            return
        customer.write(
            {
                "nps_last_score": self.score,
                "nps_category": self.category,
                "nps_last_date": self.date,
            }
        )

    def _grant_points(self):
        """The survey behaviour points of the company's loyalty program,
        through the behaviour's own grant (ledger key on the response: a
        second call posts nothing). Beyond the behaviour's cap the answer
        is kept without points."""
        self.ensure_one()
        behaviour = self.env["crm.loyalty.behaviour"].search(
            [
                ("code", "=", "survey"),
                ("program_id.crm_ledger_managed", "=", True),
                ("program_id.active", "=", True),
                ("company_id", "in", (self.company_id.id, False)),
            ],
            order="company_id, sequence, id",
            limit=1,
        )
        if not behaviour or not self.user_input_id:
            return
        try:
            with self.env.cr.savepoint():
                entry, _duplicate = behaviour._grant(
                    self.partner_id,
                    f"survey.user_input:{self.user_input_id.id}",
                    note=self.survey_id.title,
                )
        except UserError as error:
            _logger.info("No survey points for answer %s: %s", self.id, error)
            return
        self.points = entry.points

    def _follow_up(self):
        """A call for the customer's salesperson (the tier's account manager
        and response time first), due the same working day, with the score
        and the customer's words, in the salesperson's language."""
        self.ensure_one()
        partner = self.partner_id
        company = self.company_id
        fallback = (
            partner.user_id
            or self.survey_id.user_id
            or self.env.ref("base.user_admin", raise_if_not_found=False)
        )
        today = fields.Date.context_today(self.with_context(tz=fallback.tz))
        user, deadline = partner._loyalty_service(company, today, 0, fallback)
        env = self.with_context(lang=user.lang or partner.lang).env
        high = nps.scale_bounds(self.kind)[1]
        summary = env._(
            "Unhappy customer: %(score)s out of %(high)s",
            score=self.score,
            high=high,
        )
        note = Markup("<p>%s</p>") % env._(
            "%(customer)s answered %(score)s out of %(high)s to %(survey)s on "
            "%(date)s. Call to understand and fix what went wrong.",
            customer=partner.display_name,
            score=self.score,
            high=high,
            survey=self.survey_id.with_env(env).title,
            date=self.date,
        )
        if self.comment:
            note += Markup("<p>%s <i>%s</i></p>") % (
                env._("Their words:"),
                self.comment,
            )
        activity_type = self.env.ref(
            "mail.mail_activity_data_call", raise_if_not_found=False
        ) or self.env.ref("mail.mail_activity_data_todo")
        # Runs as the system (see _record): the customer completing the
        # survey creates his salesperson's activity. Authored by the system
        # (OdooBot) rather than the visitor, so that the salesperson's
        # notification has a sender.
        self.env["mail.activity"].with_user(SUPERUSER_ID).create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": partner.id,
                "activity_type_id": activity_type.id,
                "summary": summary,
                "note": note,
                "date_deadline": deadline,
                "user_id": user.id,
            }
        )

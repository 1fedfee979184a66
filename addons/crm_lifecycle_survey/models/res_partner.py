from odoo import api, fields, models

from .crm_nps_answer import CATEGORY_SELECTION


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Company-dependent (one jsonb column each): the latest NPS answer in the
    # current company, searchable by a journey's audience or a list filter.
    # Written by the answers only; salespeople's information, not the
    # customer's. A prefetch group of their own keeps them out of the
    # customer's fetches at every sale.
    nps_last_score = fields.Integer(
        "Last NPS score",
        company_dependent=True,
        readonly=True,
        groups="sales_team.group_sale_salesman",
        help="0-10, the customer's latest answer to an NPS survey of this "
        "company. 0 also when the customer never answered: filter on the "
        "category or the date to tell.",
        prefetch="crm_lifecycle_survey",
    )
    nps_category = fields.Selection(
        CATEGORY_SELECTION,
        "NPS category",
        company_dependent=True,
        readonly=True,
        groups="sales_team.group_sale_salesman",
        help="Promoter (9-10), passive (7-8) or detractor (0-6) by the latest "
        "NPS answer in this company.",
        prefetch="crm_lifecycle_survey",
    )
    nps_last_date = fields.Date(
        "Last NPS answer",
        company_dependent=True,
        readonly=True,
        groups="sales_team.group_sale_salesman",
        prefetch="crm_lifecycle_survey",
    )
    nps_score_change = fields.Integer(
        "NPS change",
        compute="_compute_nps_trend",
        groups="sales_team.group_sale_salesman",
        help="The last NPS score in this company against the one before.",
    )
    nps_trend = fields.Char(
        "NPS trend",
        compute="_compute_nps_trend",
        groups="sales_team.group_sale_salesman",
        help="The customer's last NPS answers in this company, oldest first.",
    )
    nps_answer_count = fields.Integer(
        "NPS answers",
        compute="_compute_nps_answer_count",
        groups="sales_team.group_sale_salesman",
    )

    @api.depends_context("company")
    def _compute_nps_trend(self):
        """The last three NPS answers in the current company, for the form:
        one search for all the partners shown."""
        customers = self.commercial_partner_id
        answers = self.env["crm.nps.answer"].search(
            [
                ("partner_id", "in", customers.ids),
                ("company_id", "=", self.env.company.id),
                ("kind", "=", "nps"),
            ],
            order="date desc, id desc",
        )
        scores = {}
        for answer in answers:
            scores.setdefault(answer.partner_id.id, []).append(answer.score)
        for partner in self:
            last = scores.get(partner.commercial_partner_id.id, [])[:3]
            partner.nps_score_change = last[0] - last[1] if len(last) > 1 else 0
            partner.nps_trend = " → ".join(str(score) for score in reversed(last))

    def _compute_nps_answer_count(self):
        counts = dict(
            self.env["crm.nps.answer"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.nps_answer_count = counts.get(partner.commercial_partner_id, 0)

    def action_open_nps_answers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_lifecycle_survey.crm_nps_answer_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    def _lifecycle_personal_data(self):
        data = super()._lifecycle_personal_data()
        data["survey_answers"] = self._lifecycle_export_rows(
            "crm.nps.answer",
            [("partner_id", "=", self.commercial_partner_id.id)],
            ["date", "company_id", "survey_id", "kind", "score", "comment"],
        )
        return data

    def _lifecycle_anonymise(self):
        """The customer's own words go with his name: the comments of his
        NPS answers and his survey responses' free text (the scores stay,
        for the NPS figures)."""
        res = super()._lifecycle_anonymise()
        people = self | self.child_ids
        # sudo: answers are the system's records (nobody writes them) and
        # survey responses the survey officers'; the caller checked the
        # manager's right to erase.
        self.env["crm.nps.answer"].sudo().search(
            [("partner_id", "=", self.id), ("comment", "!=", False)]
        ).write({"comment": False})
        self.env["survey.user_input.line"].sudo().search(
            [
                ("user_input_id.partner_id", "in", people.ids),
                ("answer_type", "in", ("text_box", "char_box")),
            ]
        ).write({"value_text_box": False, "value_char_box": False})
        return res

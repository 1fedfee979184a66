from odoo import fields, models


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    crm_company_id = fields.Many2one(
        "res.company",
        "Asked by company",
        readonly=True,
        help="The company whose journey invited the customer: the answer counts "
        "in its NPS and on the customer in that company.",
    )

    def _mark_done(self):
        res = super()._mark_done()
        # Customer feedback surveys only; test entries are the survey
        # manager's own tries.
        feedback = self.filtered(
            lambda i: i.survey_id.crm_kind != "none" and not i.test_entry
        )
        if feedback:
            self.env["crm.nps.answer"]._record(feedback)
        return res

from odoo import Command

from odoo.addons.crm_journey.tests.common import JourneyCommon


def invite(env, partner, survey, company=None):
    """The survey's own invitation of the customer, for a company."""
    return survey.sudo()._create_answer(
        partner=partner,
        check_attempts=False,
        crm_company_id=(company or env.company).id,
    )


def complete(env, user_input, score, why=None):
    """Answer and submit, as the survey's controller does for the visitor
    who opened the link (public user, sudo); returns the CRM answer."""
    survey = user_input.survey_id
    as_visitor = user_input.with_user(env.ref("base.public_user")).sudo()
    # The controller passes the posted text ("0" is an answer, 0 a skip).
    as_visitor._save_lines(survey._crm_score_question(), str(score))
    if why:
        as_visitor._save_lines(survey._crm_comment_question(), why)
    as_visitor._mark_done()
    return env["crm.nps.answer"].search([("user_input_id", "=", user_input.id)])


class SurveyCommon(JourneyCommon):
    """The shipped NPS and satisfaction surveys, a points program of the
    test's own with the default behaviours, and a way to answer a survey as
    its customer does (the survey's controller: public user, sudo)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Other programs (demo data) would have survey behaviours too.
        cls.env["loyalty.program"].search([]).write({"active": False})
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "Survey Points",
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "company_id": cls.company.id,
                "rule_ids": [
                    Command.create(
                        {"reward_point_mode": "money", "reward_point_amount": 1}
                    )
                ],
            }
        )
        cls.behaviour = cls.env["crm.loyalty.behaviour"].search(
            [("program_id", "=", cls.program.id), ("code", "=", "survey")]
        )
        cls.nps_survey = cls.env.ref("crm_lifecycle_survey.survey_nps")
        cls.csat_survey = cls.env.ref("crm_lifecycle_survey.survey_csat")
        cls.public_user = cls.env.ref("base.public_user")
        cls.Answer = cls.env["crm.nps.answer"]

    @classmethod
    def _invite(cls, partner, survey=None, company=None):
        return invite(cls.env, partner, survey or cls.nps_survey, company)

    @classmethod
    def _complete(cls, user_input, score, why=None):
        return complete(cls.env, user_input, score, why)

    @classmethod
    def _answer(cls, partner, score, why=None, survey=None, company=None):
        return cls._complete(cls._invite(partner, survey, company), score, why)

    def _survey_entries(self, partner):
        return self.env["crm.loyalty.entry"].search(
            [
                ("partner_id", "=", partner.id),
                ("entry_type", "=", "behaviour"),
                ("source_model", "=", "crm.loyalty.behaviour"),
                ("source_id", "=", self.behaviour.id),
            ]
        )

    def _activities(self, partner):
        return self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", partner.id)]
        )

import re

from odoo.tests import HttpCase, new_test_user, tagged

from .common import invite

CSRF = re.compile(r'input.+csrf_token.+value="([a-f0-9]{40}o[0-9]*)"')


@tagged("post_install", "-at_install")
class TestNpsSurveyFlow(HttpCase):
    """The customer answers through the invitation's link, as a visitor:
    the survey's own controller completes the response and the answer
    reaches the CRM."""

    def test_the_customer_answers_through_the_link(self):
        salesman = new_test_user(
            self.env,
            login="nps_flow_salesman",
            name="Nps Flow Salesman",
            groups="sales_team.group_sale_salesman",
        )
        customer = self.env["res.partner"].create(
            {
                "name": "Nps Flow Customer",
                "email": "nps.flow@example.com",
                "user_id": salesman.id,
            }
        )
        survey = self.env.ref("crm_lifecycle_survey.survey_nps")
        user_input = invite(self.env, customer, survey)
        token = user_input.access_token
        start = self.url_open(
            f"/survey/start/{survey.access_token}?answer_token={token}"
        )
        self.assertEqual(start.status_code, 200)
        csrf = CSRF.search(start.text).group(1)
        base = survey.get_base_url()
        self.opener.post(
            url=f"{base}/survey/begin/{survey.access_token}/{token}", json={}
        )
        score, why = survey._crm_score_question(), survey._crm_comment_question()
        response = self.opener.post(
            url=f"{base}/survey/submit/{survey.access_token}/{token}",
            json={
                "params": {
                    str(score.id): "4",
                    str(why.id): "The delivery was late",
                    "csrf_token": csrf,
                    "token": token,
                }
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(user_input.state, "done")
        answer = self.env["crm.nps.answer"].search(
            [("user_input_id", "=", user_input.id)]
        )
        self.assertEqual(
            (answer.score, answer.category, answer.comment),
            (4, "detractor", "The delivery was late"),
        )
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", customer.id)]
        )
        self.assertEqual(activity.user_id, salesman)

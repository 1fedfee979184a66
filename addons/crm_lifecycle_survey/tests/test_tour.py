from odoo.tests import HttpCase, new_test_user, tagged

from .common import complete, invite


@tagged("post_install", "-at_install")
class TestNpsTour(HttpCase):
    def test_nps_tour(self):
        """A sales manager opens the NPS report, the answers' list, an
        answer and its customer, whose form shows the NPS."""
        manager = new_test_user(
            self.env,
            login="nps_tour_manager",
            name="Nps Tour Manager",
            groups="sales_team.group_sale_manager",
        )
        customer = self.env["res.partner"].create(
            {"name": "Nps Tour Customer", "email": "nps.tour@example.com"}
        )
        survey = self.env.ref("crm_lifecycle_survey.survey_nps")
        complete(self.env, invite(self.env, customer, survey), 10, "Friendly staff")
        self.start_tour("/odoo", "crm_lifecycle_survey_tour", login=manager.login)

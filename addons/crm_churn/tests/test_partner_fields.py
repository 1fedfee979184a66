from odoo.tests import TransactionCase, tagged

from odoo.addons.crm_lifecycle.tests.partner_fields import PartnerFieldsMixin


@tagged("post_install", "-at_install")
class TestPartnerFields(PartnerFieldsMixin, TransactionCase):
    """Every customer figure of crm_churn can be searched, filtered and,
    where stored, grouped by, over the demo customers."""

    def test_every_churn_field_searches_like_it_reads(self):
        self.assertTrue(self.env["crm.churn.risk"].search_count([]))
        self._check_partner_fields(
            "crm_churn",
            expect_searchable=("churn_risk_score", "churn_risk_level"),
        )

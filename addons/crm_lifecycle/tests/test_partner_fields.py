from odoo.tests import TransactionCase, tagged

from .partner_fields import PartnerFieldsMixin


@tagged("post_install", "-at_install")
class TestPartnerFields(PartnerFieldsMixin, TransactionCase):
    """Every customer figure of crm_lifecycle can be searched, filtered and,
    where stored, grouped by, over the demo customers."""

    def test_every_lifecycle_field_searches_like_it_reads(self):
        self.assertTrue(
            self.env["crm.lifecycle.profile"].search_count([]),
            "the demo data should have given the customers a profile",
        )
        self._check_partner_fields(
            "crm_lifecycle",
            expect_searchable=(
                "lifecycle_stage",
                "rfm_segment",
                "lifecycle_order_count",
                "lifecycle_historic_clv",
                "lifecycle_prob_alive",
                "rfm_score",
            ),
        )

    def test_rfm_score_search(self):
        Partner = self.env["res.partner"]
        profile = self.env["crm.lifecycle.profile"].search(
            [("rfm_r", "!=", False), ("company_id", "=", self.env.company.id)],
            limit=1,
        )
        score = profile.rfm_score
        self.assertIn(profile.partner_id, Partner.search([("rfm_score", "=", score)]))
        self.assertNotIn(
            profile.partner_id, Partner.search([("rfm_score", "!=", score)])
        )
        self.assertIn(
            profile.partner_id, Partner.search([("rfm_score", "in", [score, "999"])])
        )
        self.assertIn(
            profile.partner_id, Partner.search([("rfm_score", "ilike", score[:2])])
        )

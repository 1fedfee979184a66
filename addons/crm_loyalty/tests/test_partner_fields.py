from odoo.tests import TransactionCase, tagged

from odoo.addons.crm_lifecycle.tests.partner_fields import PartnerFieldsMixin


@tagged("post_install", "-at_install")
class TestPartnerFields(PartnerFieldsMixin, TransactionCase):
    """Every customer figure of crm_loyalty can be searched, filtered and,
    where stored, grouped by, over the demo members."""

    def test_every_loyalty_field_searches_like_it_reads(self):
        self._check_partner_fields(
            "crm_loyalty",
            expect_searchable=("loyalty_tier_id", "loyalty_tier_stars"),
        )

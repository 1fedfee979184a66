from odoo import models


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    def _crm_tier_pricelist_ids(self):
        """The pricelists member tiers give (any company: a tier pricelist
        stays a member price wherever it is offered)."""
        tiers = (
            self.env["crm.loyalty.tier"]
            .sudo()
            .search_read([("pricelist_id", "!=", False)], ["pricelist_id"])
        )
        return {tier["pricelist_id"][0] for tier in tiers}

    def _get_website_pricelists_domain(self, website):
        """Tier pricelists are not the shop's pricelists.

        website_sale offers every pricelist of the website (``website_id``
        defaults to the company's first website) to every visitor: it falls
        back to the first one when the customer's own pricelist is not a
        shop pricelist (the company's default one, which has no website, is
        not), lets anyone switch to one with ``/shop/change_pricelist``, and
        gives it to customers without a pricelist of their own. A member
        price (Silver 10% off) would then be everyone's. Members still get
        theirs: see ``_is_available_on_website``.
        """
        domain = super()._get_website_pricelists_domain(website)
        tier_pricelist_ids = self._crm_tier_pricelist_ids()
        if tier_pricelist_ids:
            domain = [*domain, ("id", "not in", list(tier_pricelist_ids))]
        return domain

    def _is_available_on_website(self, website):
        """A tier pricelist is available in the shop to the member it was
        given to (his own pricelist in the website's company, as crm_loyalty
        writes it on a tier change), and to nobody else.

        Read from the stored company value rather than the computed
        ``property_product_pricelist``, whose computation in a website
        request calls this method again.
        """
        self.ensure_one()
        if self.id not in self._crm_tier_pricelist_ids():
            return super()._is_available_on_website(website)
        if not self.active or (
            self.company_id and self.company_id != website.company_id
        ):
            return False
        partner = self.env.user.partner_id.sudo().with_company(website.company_id)
        return partner.specific_property_product_pricelist == self

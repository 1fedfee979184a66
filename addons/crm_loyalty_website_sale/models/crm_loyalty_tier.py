from odoo import api, models


class CrmLoyaltyTier(models.Model):
    _inherit = "crm.loyalty.tier"

    # website_sale caches which pricelists a customer may use in the shop
    # (website._get_pl_partner_order), and which are tier pricelists decides
    # it (product.pricelist._is_available_on_website): a change of a tier's
    # pricelist clears that cache, as website_sale does on pricelist writes.

    @api.model_create_multi
    def create(self, vals_list):
        tiers = super().create(vals_list)
        if tiers.pricelist_id:
            self.env.registry.clear_cache()
        return tiers

    def write(self, vals):
        res = super().write(vals)
        if "pricelist_id" in vals:
            self.env.registry.clear_cache()
        return res

    def unlink(self):
        had_pricelist = bool(self.pricelist_id)
        res = super().unlink()
        if had_pricelist:
            self.env.registry.clear_cache()
        return res

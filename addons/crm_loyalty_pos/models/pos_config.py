from odoo import models


class PosConfig(models.Model):
    _inherit = "pos.config"

    def _get_available_pricelists(self):
        """The till also loads the member tiers' pricelists of its company
        (in its currency): Odoo's till applies the pricelist of the customer
        it selects when it has it loaded, so a Gold member's 9折 applies at
        the counter as on a quotation. Cashiers still choose by hand among
        the configured pricelists only."""
        pricelists = super()._get_available_pricelists()
        # sudo: tiers are read by every internal user, but the POS session
        # loads its data for whoever opens it; only pricelist ids come out.
        tiers = (
            self.env["crm.loyalty.tier"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("pricelist_id", "!=", False),
                ]
            )
        )
        return pricelists | tiers.pricelist_id.filtered(
            lambda pricelist: pricelist.currency_id == self.currency_id
        )

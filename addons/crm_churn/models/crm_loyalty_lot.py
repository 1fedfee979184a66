from odoo import api, models

OPEN_PARTNER_INDEX = "crm_loyalty_lot_open_partner_idx"


class CrmLoyaltyLot(models.Model):
    _inherit = "crm.loyalty.lot"

    @api.model
    def _open_lot_indexes(self):
        """The churn signals read the open lots (balance, points expiring) of
        a batch of customers: this index holds exactly those, in customer
        order, for index-only scans instead of a page of the table per lot,
        lapsed and spent lots included."""
        return [
            *super()._open_lot_indexes(),
            (
                OPEN_PARTNER_INDEX,
                ["partner_id"],
                ["company_id", "remaining", "expiry_date"],
            ),
        ]

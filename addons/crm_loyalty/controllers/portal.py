from datetime import timedelta

from odoo import fields
from odoo.http import request, route

from odoo.addons.portal.controllers.portal import CustomerPortal


class LoyaltyPortal(CustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "loyalty_card_count" in counters:
            values["loyalty_card_count"] = len(self._loyalty_cards())
        return values

    def _loyalty_cards(self):
        """The ledger cards of the logged-in customer (and its contacts).

        Portal users have no access to loyalty cards in Odoo; the read runs as
        superuser, restricted to the user's own commercial partner.
        """
        partner = request.env.user.partner_id.commercial_partner_id
        return (
            request.env["loyalty.card"]
            .sudo()
            .search(
                [
                    ("partner_id", "child_of", partner.id),
                    ("program_id.program_type", "=", "loyalty"),
                    ("program_id.crm_ledger_managed", "=", True),
                ]
            )
        )

    @route("/my/loyalty", type="http", auth="user", website=True)
    def portal_my_loyalty(self, **kwargs):
        cards = self._loyalty_cards()
        partner = request.env.user.partner_id.commercial_partner_id
        today = fields.Date.context_today(request.env.user)
        # Entries and lots are read with the user's own rights: the record
        # rules give portal users their own rows only.
        entries = request.env["crm.loyalty.entry"].search(
            [("card_id", "in", cards.ids)], order="date desc, id desc", limit=100
        )
        lots = request.env["crm.loyalty.lot"].search(
            [
                ("card_id", "in", cards.ids),
                ("remaining", ">", 0),
                ("expiry_date", "!=", False),
                ("expiry_date", "<=", today + timedelta(days=90)),
            ],
            order="expiry_date",
        )
        Tier = request.env["crm.loyalty.tier"]
        tier = partner.loyalty_tier_id
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "loyalty",
                "cards": cards,
                "entries": entries,
                "expiring_lots": lots,
                "tier": tier,
                # What the member still needs for the next tier (None at the
                # top): his own figures, read in SQL like the tier review.
                "progress": (
                    Tier._progress(partner, request.env.company)
                    if cards or tier
                    else None
                ),
                # The one wording of points of the suite (ledger precision,
                # the reader's separators).
                "format_points": request.env["crm.loyalty.entry"]._format_points,
            }
        )
        return request.render("crm_loyalty.portal_my_loyalty", values)

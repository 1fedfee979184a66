import uuid
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
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

    # ------------------------------------------------------------------
    # Points mall (积分商城)
    # ------------------------------------------------------------------

    def _mall_items(self, cards):
        """The rewards of the member's programs. sudo: portal users have no
        access to the mall's configuration; these are the active rewards of
        programs the member holds a card of."""
        return (
            request.env["crm.loyalty.mall.item"]
            .sudo()
            .search([("program_id", "in", cards.program_id.ids)])
        )

    def _mall_codes(self, partner):
        """The member's codes bought in the mall (sudo: see _loyalty_cards)."""
        return (
            request.env["loyalty.card"]
            .sudo()
            .search(
                [
                    ("crm_mall_item_id", "!=", False),
                    ("partner_id", "child_of", partner.id),
                ],
                order="id desc",
            )
        )

    def _mall_values(self, **extra):
        cards = self._loyalty_cards()
        partner = request.env.user.partner_id.commercial_partner_id
        today = fields.Date.context_today(request.env.user)
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "loyalty_mall",
                "mall_items": self._mall_items(cards),
                "mall_balances": {card.program_id.id: card.points for card in cards},
                "mall_codes": self._mall_codes(partner),
                "mall_today": today,
                # A new key per page shown: a double click sends it twice,
                # and the second exchange returns the first one's code.
                "mall_request_key": uuid.uuid4().hex,
                "format_points": request.env["crm.loyalty.entry"]._format_points,
                **extra,
            }
        )
        return values

    @route("/my/loyalty/mall", type="http", auth="user", website=True)
    def portal_my_loyalty_mall(self, **kwargs):
        return request.render("crm_loyalty.portal_my_loyalty_mall", self._mall_values())

    @route(
        "/my/loyalty/mall/exchange",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_my_loyalty_mall_exchange(self, item_id=None, request_key=None, **kw):
        cards = self._loyalty_cards()
        try:
            item = self._mall_items(cards).filtered(lambda i: str(i.id) == str(item_id))
            if not item or not request_key or len(str(request_key)) > 64:
                raise UserError(request.env._("This reward is not offered to you."))
            partner = request.env.user.partner_id.commercial_partner_id
            # Refused exchanges leave nothing behind (the stock counter).
            with request.env.cr.savepoint():
                code = item._exchange(partner, str(request_key))
        except UserError as error:
            return request.render(
                "crm_loyalty.portal_my_loyalty_mall",
                self._mall_values(mall_error=error.args[0]),
            )
        return request.render(
            "crm_loyalty.portal_my_loyalty_mall", self._mall_values(mall_new_code=code)
        )

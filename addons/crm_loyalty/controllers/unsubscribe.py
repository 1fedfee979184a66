from werkzeug.exceptions import NotFound

from odoo.http import Controller, Response, request, route
from odoo.tools import consteq


class LoyaltyUnsubscribe(Controller):
    """Opting out from the link or the mail reader's button of a loyalty or
    win-back email, without logging in: the token proves the link came in
    an email to that customer."""

    def _partner_from_token(self, partner_id, token):
        try:
            partner_id = int(partner_id)
        except (TypeError, ValueError):
            raise NotFound() from None
        # sudo: the visitor is not logged in; the token checked below is what
        # allows him to act on this one customer, and on nothing else.
        partner = request.env["res.partner"].sudo().browse(partner_id).exists()
        if (
            not partner
            or not token
            or not consteq(partner._loyalty_unsubscribe_token(), str(token))
        ):
            raise NotFound()
        return partner

    @route(
        "/loyalty/unsubscribe",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def loyalty_unsubscribe_page(self, partner_id=None, token=None, **kwargs):
        """The link in the email asks before acting: mail scanners open
        links, and must not opt anyone out."""
        partner = self._partner_from_token(partner_id, token)
        return request.render(
            "crm_loyalty.loyalty_unsubscribe",
            {
                "partner": partner,
                "token": token,
                "done": partner.is_blacklisted,
            },
        )

    @route(
        "/loyalty/unsubscribe",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
        csrf=False,
    )
    def loyalty_unsubscribe(self, partner_id=None, token=None, **kwargs):
        """Both the page's button and the mail reader's one-click request
        (RFC 8058, which carries no CSRF token: the link's token replaces
        it) post here."""
        partner = self._partner_from_token(partner_id, token)
        partner._loyalty_unsubscribe()
        if kwargs.get("List-Unsubscribe") == "One-Click":
            return Response(status=200)
        return request.render(
            "crm_loyalty.loyalty_unsubscribe",
            {"partner": partner, "token": token, "done": True},
        )

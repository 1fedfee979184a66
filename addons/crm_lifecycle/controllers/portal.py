from odoo import http
from odoo.http import request


class LifecyclePersonalData(http.Controller):
    @http.route("/my/personal-data", type="http", auth="user", methods=["GET"])
    def download_personal_data(self, **kwargs):
        """The signed-in customer's own data (PIPL access request), as the
        suite holds it: identity, lifecycle, loyalty, churn, journeys."""
        partner = request.env.user.partner_id
        # sudo: a portal user may read none of these records through the
        # ORM; the export is of his own commercial partner only.
        body = partner.sudo()._lifecycle_personal_data_json()
        return request.make_response(
            body,
            headers=[
                ("Content-Type", "application/json; charset=utf-8"),
                (
                    "Content-Disposition",
                    'attachment; filename="my-personal-data.json"',
                ),
            ],
        )

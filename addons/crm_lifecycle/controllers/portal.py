from odoo import http
from odoo.http import request


class LifecyclePersonalData(http.Controller):
    @http.route(
        "/crm_lifecycle/personal-data/<int:partner_id>",
        type="http",
        auth="user",
        methods=["GET"],
    )
    def download_customer_personal_data(self, partner_id, **kwargs):
        """A manager's export of a customer's data (PIPL request made at the
        counter), made when downloaded and stored nowhere."""
        partner = request.env["res.partner"].browse(partner_id)
        partner.check_access("read")
        partner._lifecycle_check_personal_data_access()
        customer = partner.exists().commercial_partner_id
        if not customer:
            raise request.not_found()
        return request.make_response(
            customer._lifecycle_personal_data_json(),
            headers=[
                ("Content-Type", "application/json; charset=utf-8"),
                (
                    "Content-Disposition",
                    f'attachment; filename="personal-data-{customer.id}.json"',
                ),
            ],
        )

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

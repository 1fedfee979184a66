"""18.0.1.3.0: the win-back email carries the unsubscribe link of the loyalty
emails (see crm_loyalty's 18.0.1.3.0 migration)."""

from odoo import SUPERUSER_ID, api

from odoo.addons.crm_loyalty.hooks import add_unsubscribe_line


def migrate(cr, version):
    if not version:
        return
    add_unsubscribe_line(
        api.Environment(cr, SUPERUSER_ID, {}),
        (("crm_churn.mail_template_churn_winback", "object.partner_id"),),
    )

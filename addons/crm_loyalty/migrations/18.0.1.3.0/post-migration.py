"""18.0.1.3.0: the suite's emails carry an unsubscribe link. The templates are
no-update data that managers may have reworded: the line is added to each
language's text that has none, keeping the rest as it is."""

from odoo import SUPERUSER_ID, api

from odoo.addons.crm_loyalty.hooks import add_unsubscribe_line

TEMPLATES = (
    ("crm_loyalty.mail_template_points_expiring", "object.partner_id"),
    ("crm_loyalty.mail_template_birthday", "object.partner_id"),
    ("crm_loyalty.mail_template_tier_at_risk", "object"),
)


def migrate(cr, version):
    if not version:
        return
    add_unsubscribe_line(api.Environment(cr, SUPERUSER_ID, {}), TEMPLATES)

from odoo import SUPERUSER_ID, api

# The care emails of 18.0.1.0.0 wrote points, dates and the birthday factor
# unformatted ("70.5 Points", "2026-04-10", "3.0 times"); their new text
# receives them worded in the customer's language. They are no-update data:
# bring the first release's texts up to date.
TEMPLATES = (
    "crm_loyalty.mail_template_points_expiring",
    "crm_loyalty.mail_template_birthday",
    "crm_loyalty.mail_template_tier_at_risk",
)


# 18.0.1.0.0 left companies without a default pricelist, so that new
# customers got the first tier pricelist (a member discount) by default.
TIER_PRICELISTS = (
    ("crm_loyalty.pricelist_tier_silver", 50),
    ("crm_loyalty.pricelist_tier_gold", 60),
    ("crm_loyalty.pricelist_tier_platinum", 70),
)


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, sequence in TIER_PRICELISTS:
        pricelist = env.ref(xmlid, raise_if_not_found=False)
        if pricelist and pricelist.sequence < sequence:
            pricelist.sequence = sequence
    env["res.company"].search([])._activate_or_create_pricelists()
    for xmlid in TEMPLATES:
        template = env.ref(xmlid, raise_if_not_found=False)
        if template and template.template_fs:
            template.reset_template()

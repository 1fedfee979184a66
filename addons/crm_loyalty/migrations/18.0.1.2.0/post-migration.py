"""18.0.1.2.0: the expiry cron runs on the lot model, which now holds
``_cron_expire`` (``crm.loyalty.entry._cron_expire`` delegates to it). The cron
is no-update data: point an existing one to the lot model."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("crm_loyalty.ir_cron_loyalty_expire", raise_if_not_found=False)
    if cron and cron.model_id.model == "crm.loyalty.entry":
        cron.model_id = env["ir.model"]._get_id("crm.loyalty.lot")

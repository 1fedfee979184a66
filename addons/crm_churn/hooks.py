from odoo.tools import SQL

from .models.crm_loyalty_lot import OPEN_PARTNER_INDEX


def uninstall_hook(env):
    """The index this addon added to crm_loyalty's lots
    (``crm.loyalty.lot._open_lot_indexes``) goes with it: crm_loyalty's own
    queries do not read the lots that way."""
    env.cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(OPEN_PARTNER_INDEX)))

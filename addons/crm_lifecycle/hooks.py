from odoo.tools import SQL


def uninstall_hook(env):
    """The index that res.partner.init adds to Odoo's partner table is not
    dropped with the module's own tables and columns: drop it here."""
    env.execute_query(
        SQL("DROP INDEX IF EXISTS res_partner_crm_lifecycle_commercial_idx")
    )

from odoo.tools import SQL


def uninstall_hook(env):
    """The indexes that the init() of res.partner, account.move and
    sale.order add to Odoo's tables are not dropped with the module's own
    tables and columns: drop them here."""
    env.execute_query(
        SQL(
            "DROP INDEX IF EXISTS res_partner_crm_lifecycle_commercial_idx,"
            " account_move_crm_lifecycle_refund_idx,"
            " account_move_crm_lifecycle_invoice_idx,"
            " sale_order_crm_lifecycle_facts_idx"
        )
    )

from odoo.tools import SQL


def post_init_hook(env):
    """Programs that exist before the ledger keep Odoo's behaviour until a
    manager switches the ledger on (which books their cards' opening
    balances); new loyalty programs use the ledger by default."""
    env.execute_query(SQL("UPDATE loyalty_program SET crm_ledger_managed = FALSE"))
    env["loyalty.program"].invalidate_model(["crm_ledger_managed"])

from odoo import Command
from odoo.tools import SQL


def pre_init_hook(env):
    """Programs that exist before the ledger keep Odoo's behaviour until a
    manager switches the ledger on (which books their cards' opening
    balances); new loyalty programs, created after installation, use the
    ledger by default. Creating the column here with FALSE for the existing
    rows keeps the ORM from filling it with the field's default (True)."""
    env.execute_query(
        SQL(
            "ALTER TABLE loyalty_program"
            " ADD COLUMN IF NOT EXISTS crm_ledger_managed boolean DEFAULT FALSE"
        )
    )
    env.execute_query(
        SQL("ALTER TABLE loyalty_program ALTER COLUMN crm_ledger_managed DROP DEFAULT")
    )


def post_init_hook(env):
    """Tier discounts are pricelists: switch the Pricelists feature on, as
    Settings would, or saving the Settings later would archive them. Settings
    would also give each company its default pricelist: without one, the
    first tier pricelist would be every new customer's."""
    env.ref("base.group_user").write(
        {"implied_ids": [Command.link(env.ref("product.group_product_pricelist").id)]}
    )
    env["res.company"].search([])._activate_or_create_pricelists()

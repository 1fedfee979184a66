import json

from odoo import Command
from odoo.tools import SQL
from odoo.tools.translate import code_translations

from .tools import unsubscribe

UNSUBSCRIBE_ASK = "No longer want these emails?"
UNSUBSCRIBE_WORD = "Unsubscribe"


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


def add_unsubscribe_line(env, templates):
    """Add the unsubscribe line to no-update templates saved before it
    existed, in each language's text that has none (used by migrations)."""
    env["mail.template"].flush_model(["body_html"])
    for xmlid, partner_expr in templates:
        template = env.ref(xmlid, raise_if_not_found=False)
        if not template:
            continue
        [(bodies,)] = env.execute_query(
            SQL("SELECT body_html FROM mail_template WHERE id = %s", template.id)
        )
        bodies = bodies or {}
        changed = False
        for lang, body in bodies.items():
            words = code_translations.get_python_translations("crm_loyalty", lang)
            line = unsubscribe.footer(
                partner_expr,
                words.get(UNSUBSCRIBE_ASK) or UNSUBSCRIBE_ASK,
                words.get(UNSUBSCRIBE_WORD) or UNSUBSCRIBE_WORD,
            )
            new_body = unsubscribe.add_footer(body, line)
            if new_body is not None:
                bodies[lang] = new_body
                changed = True
        if changed:
            env.execute_query(
                SQL(
                    "UPDATE mail_template SET body_html = %s::jsonb WHERE id = %s",
                    json.dumps(bodies),
                    template.id,
                )
            )
            template.invalidate_recordset(["body_html"])

"""18.0.1.1.0: the demo playbooks and their coupon program became data with
external ids (demo/crm_churn_demo.xml), so that translations name them; those
created by 18.0.1.0.0 get the ids, or the demo would add a second set."""

from odoo.tools import SQL

DEMO = (
    ("loyalty_program_winback_coupon_demo", "loyalty.program", "Win-back 15% coupon"),
    (
        "crm_churn_playbook_valuable_demo",
        "crm.churn.playbook",
        "Valuable customers going quiet",
    ),
    ("crm_churn_playbook_critical_demo", "crm.churn.playbook", "Critical: call first"),
    ("crm_churn_playbook_members_demo", "crm.churn.playbook", "Members: bonus points"),
)
TABLES = {
    "loyalty.program": "loyalty_program",
    "crm.churn.playbook": "crm_churn_playbook",
}


def migrate(cr, version):
    if not version:
        return
    for name, model, label in DEMO:
        cr.execute(
            SQL(
                """
                INSERT INTO ir_model_data (module, name, model, res_id, noupdate)
                SELECT 'crm_churn', %(name)s, %(model)s, t.id, TRUE
                  FROM %(table)s t
                 WHERE t.name ->> 'en_US' = %(label)s
                   AND NOT EXISTS (SELECT 1 FROM ir_model_data d
                                    WHERE d.model = %(model)s AND d.res_id = t.id)
                   AND NOT EXISTS (SELECT 1 FROM ir_model_data d
                                    WHERE d.module = 'crm_churn' AND d.name = %(name)s)
                 ORDER BY t.id
                 LIMIT 1
                """,
                name=name,
                model=model,
                table=SQL.identifier(TABLES[model]),
                label=label,
            )
        )

from odoo.tools import SQL

# The demo program and its campaign became data with external ids
# (demo/crm_loyalty_demo.xml) so that translations name them; those created
# by 18.0.1.0.0 get the ids, or the demo would add a second program.
DEMO = (
    ("loyalty_program_member_points_demo", "loyalty.program"),
    ("loyalty_campaign_double_week_demo", "crm.loyalty.campaign"),
)


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            SELECT p.id, c.id
              FROM loyalty_program p
              LEFT JOIN crm_loyalty_campaign c
                     ON c.program_id = p.id
                    AND c.name ->> 'en_US' = 'Double points week'
             WHERE p.name ->> 'en_US' = 'Member Points' AND p.program_type = 'loyalty'
               AND NOT EXISTS (SELECT 1 FROM ir_model_data d
                                WHERE d.model = 'loyalty.program' AND d.res_id = p.id)
               AND NOT EXISTS (SELECT 1 FROM ir_model_data d
                                WHERE d.module = 'crm_loyalty'
                                  AND d.name = 'loyalty_program_member_points_demo')
             ORDER BY p.id
             LIMIT 1
            """
        )
    )
    row = cr.fetchone()
    if not row:
        return
    for (name, model), res_id in zip(DEMO, row, strict=True):
        if res_id:
            cr.execute(
                SQL(
                    "INSERT INTO ir_model_data (module, name, model, res_id, noupdate)"
                    " VALUES ('crm_loyalty', %s, %s, %s, FALSE)",
                    name,
                    model,
                    res_id,
                )
            )

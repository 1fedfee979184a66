"""18.0.1.5.0: churn playbooks become journeys a churn alert triggers
(crm.journey._migrate_churn_playbooks), then their table and the alerts'
link to them go: Odoo removes a model's records but keeps its table."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.journey"]._migrate_churn_playbooks()
    rule = env.ref("crm_churn.crm_churn_playbook_rule_company", False)
    if rule:
        rule.unlink()
    cr.execute("ALTER TABLE crm_churn_alert DROP COLUMN IF EXISTS playbook_id")
    cr.execute("DROP TABLE IF EXISTS crm_churn_playbook CASCADE")

from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

from odoo.addons.crm_churn.models.crm_churn_risk import COMPLAINT_RECENT_DAYS
from odoo.addons.crm_lifecycle.bulk_sql import int_array

# High and Very High: an unresolved one is a critical complaint.
CRITICAL_PRIORITIES = ("2", "3")


class CrmChurnRisk(models.Model):
    """Helpdesk tickets are complaints: open ones, those of the last 90
    days and unresolved high-priority ones feed the complaints signal, as
    they stood on the scored day."""

    _inherit = "crm.churn.risk"

    @api.model
    def _complaint_facts(self, partner_ids, as_of):
        facts = super()._complaint_facts(partner_ids, as_of)
        if not partner_ids:
            return facts
        self.env["helpdesk.ticket"].flush_model()
        since = as_of - timedelta(days=COMPLAINT_RECENT_DAYS)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT t.commercial_partner_id, t.company_id,
                       COUNT(*) FILTER (WHERE t.closed_date IS NULL
                                           OR t.closed_date::date > %(as_of)s),
                       COUNT(*) FILTER (WHERE t.create_date::date > %(since)s),
                       COUNT(*) FILTER (WHERE (t.closed_date IS NULL
                                               OR t.closed_date::date > %(as_of)s)
                                          AND t.priority IN %(critical)s),
                       (ARRAY_AGG(t.name ORDER BY t.create_date DESC, t.id DESC))[1]
                  FROM helpdesk_ticket t
                 WHERE t.commercial_partner_id = ANY(%(partners)s)
                   AND t.create_date::date <= %(as_of)s
                   AND (t.closed_date IS NULL OR t.closed_date::date > %(since)s
                        OR t.create_date::date > %(since)s)
                 GROUP BY t.commercial_partner_id, t.company_id
                """,
                as_of=as_of,
                since=since,
                critical=CRITICAL_PRIORITIES,
                partners=int_array(partner_ids),
            )
        )
        for partner_id, company_id, open_, recent, critical, name in rows:
            found = facts.setdefault((partner_id, company_id), [0, 0, 0, None])
            found[0] += open_
            found[1] += recent
            found[2] += critical
            # A logged complaint names itself; else the last ticket's title.
            found[3] = found[3] or name
        return facts

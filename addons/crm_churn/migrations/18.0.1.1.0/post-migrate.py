"""18.0.1.1.0: savable value at risk, lost customers, offers of closed alerts.

The score rows get their yearly value, value at risk and lost flag now,
computed by the nightly run's own functions, rather than at the next night:
until then the lists would sort every row alike and count lost customers as
still savable. Offers still waiting when their alert was closed read as not
sent, as they do for alerts closed from now on. The signal named after the
purchase model's jargon takes the name new databases get, unless a manager
renamed it.
"""

from odoo.tools import SQL

from odoo.addons.crm_churn.tools import scoring


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            """
            SELECT r.id, r.score, pr.stage, pr.historic_clv,
                   pr.last_order_date - pr.first_order_date
              FROM crm_churn_risk r
              JOIN crm_lifecycle_profile pr
                ON pr.partner_id = r.partner_id AND pr.company_id = r.company_id
            """
        )
    )
    ids, yearly_values, at_risk, lost = [], [], [], []
    for risk_id, score, stage, historic, active_days in cr.fetchall():
        yearly = scoring.yearly_value(historic, active_days)
        is_lost = scoring.is_lost(stage)
        ids.append(risk_id)
        yearly_values.append(yearly)
        at_risk.append(scoring.value_at_risk(yearly, score, is_lost))
        lost.append(is_lost)
    cr.execute(
        SQL(
            """
            UPDATE crm_churn_risk r
               SET yearly_value = v.yearly_value, value_at_risk = v.value_at_risk,
                   lost = v.lost
              FROM unnest(%s::int[], %s::numeric[], %s::numeric[], %s::bool[])
                   AS v(id, yearly_value, value_at_risk, lost)
             WHERE r.id = v.id
            """,
            ids,
            yearly_values,
            at_risk,
            lost,
        )
    )
    cr.execute(
        SQL(
            """
            UPDATE crm_churn_alert a
               SET value_at_risk = r.value_at_risk
              FROM crm_churn_risk r
             WHERE r.partner_id = a.partner_id AND r.company_id = a.company_id
               AND a.stage IN ('new', 'in_progress')
            """
        )
    )
    cr.execute(
        SQL(
            """
            UPDATE crm_churn_alert SET offer_state = 'not_sent'
             WHERE offer_state = 'to_approve' AND stage IN ('won_back', 'lost')
            """
        )
    )
    cr.execute(
        SQL(
            """
            UPDATE crm_churn_signal
               SET name = jsonb_set(name, '{en_US}', to_jsonb(%s::text))
             WHERE code = 'prob_alive'
               AND name ->> 'en_US' = 'Probability of being alive'
            """,
            "Unlikely to still be a customer",
        )
    )

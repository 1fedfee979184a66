from odoo import fields, models
from odoo.tools import SQL

from ..tools import scoring


class CrmJourney(models.Model):
    """Journeys on the churn risk: the customer's risk rose into a level
    tonight (what the churn alert reacts to), so that what follows a
    rising risk (a call, a coupon, an email) is a journey with its control
    group and results."""

    _inherit = "crm.journey"

    trigger = fields.Selection(
        selection_add=[("churn_level", "Churn risk rises into a level")],
        ondelete={"churn_level": "set default"},
    )
    trigger_churn_level = fields.Selection(
        [("high", "High or critical"), ("critical", "Critical only")],
        "Risk level",
        default="high",
    )

    def _trigger_condition_other(self, as_of, since, partner_ids):
        if self.trigger != "churn_level":
            return super()._trigger_condition_other(as_of, since, partner_ids)
        levels = scoring.LEVELS[
            scoring.LEVELS.index(self.trigger_churn_level or "high") :
        ]
        # The score row keeps the level it came from until the level moves
        # again, and the night it moved (scored_on).
        self.env["crm.churn.risk"].flush_model()
        return SQL(
            """EXISTS (
                   SELECT 1 FROM crm_churn_risk r
                    WHERE r.partner_id = pr.partner_id
                      AND r.company_id = pr.company_id
                      AND NOT r.lost
                      AND r.level IN %(levels)s
                      AND (r.previous_level IS NULL
                           OR r.previous_level NOT IN %(levels)s)
                      AND r.scored_on > %(since)s AND r.scored_on <= %(as_of)s)""",
            levels=tuple(levels),
            since=since,
            as_of=as_of,
        )


class CrmJourneyRun(models.Model):
    _inherit = "crm.journey.run"

    # Tonight's scores first: the churn trigger reads them.
    _batch_wait_for = ("crm.lifecycle.run", "crm.churn.run")

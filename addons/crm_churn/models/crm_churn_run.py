import heapq
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.crm_lifecycle.bulk_sql import stream

from ..tools import scoring

_logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000
SYNC_LIMIT = 10000
# Days a customer deferred by the nightly cap keeps waiting for an alert.
PENDING_DAYS = 7


class CrmChurnRun(models.Model):
    """The churn step of the night, on the engine of
    ``crm.lifecycle.batch.run``: score every customer in batches, then act
    once on the whole population (won-back detection, new alerts under the
    cap, escalations).

    Alerts are opened only after the last batch, so that the cap keeps the
    most urgent customers of the whole base, not of the first batch. The
    step waits for a lifecycle run still in progress, so that the scores use
    tonight's stages and predictions.
    """

    _name = "crm.churn.run"
    _inherit = ["crm.lifecycle.batch.run"]
    _description = "Churn Warning Run"
    _batch_size_param = "crm_churn.batch_size"
    _batch_default_size = DEFAULT_BATCH_SIZE
    _batch_sync_limit = SYNC_LIMIT
    _batch_cron_xmlid = "crm_churn.ir_cron_churn_nightly"
    _batch_wait_for = ("crm.lifecycle.run",)

    customers_total = fields.Integer("Customers to score")
    customers_done = fields.Integer("Customers scored")
    rows_written = fields.Integer(
        "Scores changed",
        help="Customers whose score, level or reasons changed and were written.",
    )
    alerts_created = fields.Integer("New alerts", readonly=True)
    alerts_deferred = fields.Integer(
        "Alerts left for later nights",
        readonly=True,
        help="Customers left for the next nights by the cap of new alerts.",
    )
    alerts_escalated = fields.Integer("Alerts escalated", readonly=True)
    alerts_won_back = fields.Integer("Alerts won back", readonly=True)

    # ------------------------------------------------------------------
    # The engine's hooks
    # ------------------------------------------------------------------

    def _run_now_title(self):
        return self.env._("Churn warning")

    def _run_now_message(self, synchronous):
        if synchronous:
            return self.env._(
                "%(count)s customers scored, %(alerts)s new alerts.",
                count=self.customers_done,
                alerts=self.alerts_created,
            )
        return self.env._(
            "%(count)s customers will be scored in the background.",
            count=self.customers_total,
        )

    def _count_customers(self):
        """The customers with a purchase in some company (those scored)."""
        self.env["crm.lifecycle.profile"].flush_model()
        return self.env.execute_query(
            SQL(
                "SELECT COUNT(DISTINCT partner_id) FROM crm_lifecycle_profile"
                " WHERE order_count > 0"
            )
        )[0][0]

    @api.model
    def _customers_query(self, after, limit=None, until=None):
        """Every customer with a profile: one whose profiles lost their
        orders is still taken, so that his score is deleted."""
        return self._profile_customers_query(after, limit, until)

    def _run_batch(self, partner_ids):
        written, _risen = self.env["crm.churn.risk"]._score_partners(
            partner_ids, self.as_of
        )
        return written

    def _finish_vals(self):
        """Act on the scored population: won back, new alerts, escalations."""
        Alert = self.env["crm.churn.alert"]
        won = Alert._detect_won_back()
        Alert._refresh_open_windows(self.as_of)
        created, deferred = self._open_alerts()
        escalated = Alert._escalate(self.as_of)
        return {
            "alerts_won_back": len(won),
            "alerts_created": len(created),
            "alerts_deferred": deferred,
            "alerts_escalated": len(escalated),
        }

    def _pending_for(self, company, cap):
        """The company's pending customers: the ``cap`` first by
        ``scoring.alert_priority`` on their savable value at risk (risk ids,
        in that order), those who have an open alert already, and how many
        wait without one. Lost customers (``scoring.is_lost``) are win-back
        cases, not warnings: they get no new alert (an open one is still
        raised), and do not count as waiting.

        A first night on a large base makes hundreds of thousands pending:
        they stream past a bounded heap instead of being loaded and sorted.
        """
        pending = SQL(
            """
            SELECT r.id, r.level, COALESCE(r.value_at_risk, 0)::float8,
                   EXISTS (SELECT 1 FROM crm_churn_alert a
                            WHERE a.partner_id = r.partner_id
                              AND a.company_id = r.company_id
                              AND a.stage IN ('new', 'in_progress')),
                   r.lost IS TRUE
              FROM crm_churn_risk r
             WHERE r.company_id = %s AND r.alert_pending
               AND r.level IN ('high', 'critical')
               AND r.alert_pending_since >= %s
             ORDER BY r.id
            """,
            company.id,
            self.as_of - timedelta(days=PENDING_DAYS),
        )
        already_open, waiting = [], 0

        def fresh():
            nonlocal waiting
            for rows in stream(self.env.cr, pending):
                for risk_id, level, value, is_open, lost in rows:
                    if is_open:
                        already_open.append(risk_id)
                    elif not lost:
                        waiting += 1
                        yield risk_id, level, value

        rows = fresh()
        chosen = heapq.nsmallest(
            cap, rows, key=lambda row: scoring.alert_priority(row[1], row[2])
        )
        for _row in rows:  # with no room left, still count who waits
            pass
        return [row[0] for row in chosen], already_open, waiting

    def _open_alerts(self):
        """Open alerts for pending customers, up to each company's nightly cap,
        critical and most value at risk first. Returns (alerts, deferred
        count)."""
        Risk = self.env["crm.churn.risk"]
        Alert = self.env["crm.churn.alert"]
        Risk.flush_model()
        created = Alert.browse()
        deferred = 0
        for company in self.env["res.company"].search([]):
            cap = max(company.churn_alert_cap - self._created_today(company), 0)
            chosen, already_open, waiting = self._pending_for(company, cap)
            deferred += waiting - len(chosen)
            if not (chosen or already_open):
                continue
            details = {
                row[0]: row
                for row in self.env.execute_query(
                    SQL(
                        """
                        SELECT r.id, r.partner_id, r.score, r.level, r.reason_data,
                               COALESCE(pr.historic_clv, 0), r.value_at_risk
                          FROM crm_churn_risk r
                          LEFT JOIN crm_lifecycle_profile pr
                            ON pr.partner_id = r.partner_id
                           AND pr.company_id = r.company_id
                         WHERE r.id = ANY(%s)
                        """,
                        chosen + already_open,
                    )
                )
            }
            candidates = [
                {
                    "partner_id": row[1],
                    "company_id": company.id,
                    "score": row[2],
                    "level": row[3],
                    "reason_data": row[4],
                    "historic_clv": float(row[5]),
                    "value_at_risk": float(row[6] or 0.0),
                }
                for row in (details[risk_id] for risk_id in chosen + already_open)
            ]
            created |= Alert._open_for(candidates, self.as_of)
            self.env.execute_query(
                SQL(
                    "UPDATE crm_churn_risk SET alert_pending = FALSE"
                    " WHERE id = ANY(%s)",
                    chosen + already_open,
                )
            )
        # Customers the cap kept waiting for a week leave the queue (they stay
        # on the at-risk list): a first night on a large base, where everyone
        # at risk "rose", cannot feed alerts for years.
        self.env.execute_query(
            SQL(
                "UPDATE crm_churn_risk SET alert_pending = FALSE"
                " WHERE alert_pending AND alert_pending_since < %s",
                self.as_of - timedelta(days=PENDING_DAYS),
            )
        )
        Risk.invalidate_model(["alert_pending"])
        return created, deferred

    def _created_today(self, company):
        return self.env["crm.churn.alert"].search_count(
            [("company_id", "=", company.id), ("alert_date", "=", self.as_of)]
        )

    # ------------------------------------------------------------------
    # Demo data
    # ------------------------------------------------------------------

    @api.model
    def _load_demo_data(self):
        """Past alerts and tonight's run: see demo/demo_loader.py."""
        from ..demo import demo_loader

        return demo_loader.load(self.env)

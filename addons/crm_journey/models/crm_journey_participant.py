from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.crm_lifecycle.bulk_sql import int_array

# A night runs at most this many steps in a row for a customer (steps that
# do not wait follow each other at once); a branch looping back stops here
# and goes on the next night.
MAX_STEPS_PER_NIGHT = 20


class CrmJourneyParticipant(models.Model):
    """One customer's run through a journey: when they entered, where they
    are, and whether they ordered (the conversion the journey is judged on).

    Rows are written in bulk by the nightly run: conversions, windows that
    close and opt-outs by one statement each per batch (Odoo's automation
    rules do not see those), steps through the ORM."""

    _name = "crm.journey.participant"
    _description = "Journey Participant"
    _order = "entered_on desc, id desc"
    _rec_name = "partner_id"
    _check_company_auto = True

    journey_id = fields.Many2one(
        "crm.journey", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(related="partner_id.user_id", string="Salesperson")
    is_control = fields.Boolean(
        "Control group",
        readonly=True,
        help="Drawn into the control group: goes through no step; their "
        "orders measure what the journey adds.",
    )
    state = fields.Selection(
        [
            ("running", "In the journey"),
            ("waiting", "Steps done, window open"),
            ("done", "Finished"),
            ("exited", "Left"),
        ],
        required=True,
        default="running",
        index=True,
    )
    exit_reason = fields.Selection(
        [
            ("order", "Ordered"),
            ("audience", "Left the audience"),
            ("optout", "Asked for no marketing"),
        ],
        readonly=True,
    )
    entered_on = fields.Date(required=True, readonly=True, index=True)
    step_id = fields.Many2one(
        "crm.journey.step", "Next step", ondelete="set null", readonly=True
    )
    next_date = fields.Date("Next step on", readonly=True)
    order_count_at_entry = fields.Integer(readonly=True)
    value_at_entry = fields.Monetary(readonly=True)
    converted = fields.Boolean(readonly=True, index=True, default=False)
    converted_on = fields.Date("Ordered on", readonly=True)
    days_to_convert = fields.Integer("Days to order", readonly=True)
    revenue = fields.Monetary(
        readonly=True,
        help="What the customer bought in the conversion window (the change "
        "of their historic value, credit notes deducted).",
    )
    trace_ids = fields.One2many("crm.journey.trace", "participant_id", "Steps done")

    def init(self):
        # One open run of a journey per customer; finished runs are kept.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS crm_journey_participant_open_uniq
                ON crm_journey_participant (journey_id, partner_id)
             WHERE state IN ('running', 'waiting')
            """
        )
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS crm_journey_participant_due_idx
                ON crm_journey_participant (partner_id, next_date)
             WHERE state = 'running'
            """
        )

    def _ordered_since_entry(self):
        """Ids of these participants whose customer ordered since entering."""
        if not self:
            return set()
        self.flush_recordset()
        self.env["crm.lifecycle.profile"].flush_model(["order_count"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.id FROM crm_journey_participant p
                  JOIN crm_lifecycle_profile pr
                    ON pr.partner_id = p.partner_id AND pr.company_id = p.company_id
                 WHERE p.id = ANY(%s) AND pr.order_count > p.order_count_at_entry
                """,
                self.ids,
            )
        )
        return {row[0] for row in rows}

    # ------------------------------------------------------------------
    # The night
    # ------------------------------------------------------------------

    @api.model
    def _close(self, partner_ids, as_of):
        """Conversions, opt-outs, windows closed and customers out of the
        audience, for the open runs of these customers in running journeys.
        Returns ``{"converted": n, "exited": n, "done": n}``."""
        self.env.flush_all()
        open_runs = SQL(
            """p.partner_id = ANY(%s) AND p.state IN ('running', 'waiting')
               AND j.id = p.journey_id AND j.state = 'running'""",
            int_array(partner_ids),
        )
        converted = self.env.execute_query(
            SQL(
                """
                UPDATE crm_journey_participant p
                   SET converted = TRUE,
                       converted_on = pr.last_order_date,
                       days_to_convert = pr.last_order_date - p.entered_on,
                       revenue = GREATEST(pr.historic_clv - p.value_at_entry, 0),
                       state = CASE WHEN j.exit_on_order THEN 'done' ELSE p.state END,
                       exit_reason = CASE WHEN j.exit_on_order THEN 'order'
                                          ELSE p.exit_reason END,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM crm_journey j, crm_lifecycle_profile pr
                 WHERE %(open)s AND NOT COALESCE(p.converted, FALSE)
                   AND pr.partner_id = p.partner_id
                   AND pr.company_id = p.company_id
                   AND pr.order_count > p.order_count_at_entry
                   AND pr.last_order_date <= p.entered_on + j.conversion_days
                RETURNING p.id
                """,
                open=open_runs,
            )
        )
        opted_out = self.env.execute_query(
            SQL(
                """
                UPDATE crm_journey_participant p
                   SET state = 'exited', exit_reason = 'optout', step_id = NULL,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM crm_journey j, res_partner rp
                 WHERE %(open)s AND rp.id = p.partner_id AND rp.lifecycle_no_marketing
                RETURNING p.id
                """,
                open=open_runs,
            )
        )
        finished = self.env.execute_query(
            SQL(
                """
                UPDATE crm_journey_participant p
                   SET state = 'done', write_date = NOW() AT TIME ZONE 'UTC'
                  FROM crm_journey j
                 WHERE %(open)s AND p.state = 'waiting'
                   AND p.entered_on + j.conversion_days < %(as_of)s
                RETURNING p.id
                """,
                open=open_runs,
                as_of=as_of,
            )
        )
        self.invalidate_model()
        left = self._leave_audience(partner_ids)
        return {
            "converted": len(converted),
            "exited": len(opted_out) + len(left),
            "done": len(finished),
        }

    @api.model
    def _leave_audience(self, partner_ids):
        """Open runs whose customer no longer meets the journey's audience:
        one search per journey for the batch."""
        runs = self.search(
            [
                ("partner_id", "in", list(partner_ids)),
                ("state", "in", ("running", "waiting")),
                ("journey_id.state", "=", "running"),
                ("journey_id.exit_on_audience", "=", True),
                ("journey_id.partner_domain", "not in", (False, "[]", "")),
            ]
        )
        left = self.browse()
        for journey, journey_runs in runs.grouped("journey_id").items():
            inside = set(
                self.env["res.partner"]
                .with_company(journey.company_id)
                .search(
                    [
                        ("id", "in", journey_runs.partner_id.ids),
                        *journey._audience_domain(),
                    ]
                )
                .ids
            )
            left |= journey_runs.filtered(
                lambda r, inside=inside: r.partner_id.id not in inside
            )
        if left:
            left.write({"state": "exited", "exit_reason": "audience", "step_id": False})
        return left

    @api.model
    def _advance(self, partner_ids, as_of, journeys=None):
        """Run the due steps of these customers' runs (in ``journeys`` only,
        when given), a step at a time for all the runs that stand on it,
        until every run waits for a later day. Returns the number of steps
        run."""
        ran = 0
        domain = [
            ("partner_id", "in", list(partner_ids)),
            ("state", "=", "running"),
            ("next_date", "<=", as_of),
            ("step_id", "!=", False),
            ("journey_id.state", "=", "running"),
        ]
        if journeys is not None:
            domain.append(("journey_id", "in", journeys.ids))
        for _round in range(MAX_STEPS_PER_NIGHT):
            due = self.search(domain)
            if not due:
                break
            for step, runs in due.grouped("step_id").items():
                outcomes = step._execute(runs, as_of)
                ran += len(runs)
                runs._apply(step, outcomes, as_of)
        return ran

    def _apply(self, step, outcomes, as_of):
        """Write what the step did: traces, and where each run goes next, in
        one write per destination."""
        traces = []
        moves = defaultdict(lambda: self.browse())
        following = step._next_step()
        for run in self:
            outcome = outcomes[run.id]
            if outcome == "later":
                moves[(step.id, as_of + timedelta(days=1), "running")] |= run
                continue
            traces.append(
                {
                    "participant_id": run.id,
                    "step_id": step.id,
                    "partner_id": run.partner_id.id,
                    "company_id": run.company_id.id,
                    "date": as_of,
                    "state": "skipped" if outcome == "skipped" else "done",
                    "message_sent": outcome == "sent",
                }
            )
            if outcome == "converted":
                moves[(False, False, "done")] |= run
                continue
            target = outcome if isinstance(outcome, models.BaseModel) else following
            if not target:
                moves[(False, False, "waiting")] |= run
                continue
            delay = step.wait_days if step.kind == "wait" else 0
            moves[(target.id, as_of + timedelta(days=delay), "running")] |= run
        self.env["crm.journey.trace"].create(traces)
        for (step_id, next_date, state), runs in moves.items():
            vals = {"step_id": step_id, "next_date": next_date, "state": state}
            if state == "done":
                vals["exit_reason"] = "order"
            runs.write(vals)

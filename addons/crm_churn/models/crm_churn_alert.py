import logging
from datetime import timedelta

from markupsafe import Markup
from psycopg2.errors import UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.crm_lifecycle.bulk_sql import int_array

from ..tools import scoring
from .crm_churn_risk import LEVEL_SELECTION, level_order_sql

OPEN_STAGES = ("new", "in_progress")
STAGE_SELECTION = [
    ("new", "New"),
    ("in_progress", "In progress"),
    ("won_back", "Won back"),
    ("lost", "Lost"),
]
OFFER_STATE_SELECTION = [
    ("none", "No offer"),
    ("to_approve", "Waiting for approval"),
    ("sent", "Sent"),
    ("skipped", "Skipped"),
    ("control", "Control group: no offer"),
    ("not_sent", "Not sent: alert closed first"),
]
_logger = logging.getLogger(__name__)
# Messages the module posts itself do not count as the salesperson touching
# the alert.
SYSTEM_POST = "crm_churn_system_post"
# Stage, outcome and offer fields change through the alert's own methods only:
# the win-back results are measured on them.
INTERNAL_WRITE = "crm_churn_internal_write"
# The value both context keys must hold. A client can put any JSON value in
# its context over RPC, never this object: only this module's own calls are
# trusted.
TRUSTED = object()
PROTECTED_FIELDS = {
    "partner_id",
    "company_id",
    "stage",
    "level",
    "score",
    "reason_data",
    "alert_date",
    "deadline",
    "historic_clv",
    "escalated",
    "escalated_on",
    "journey_id",
    "offer_step_id",
    "is_control",
    "offer_type",
    "offer_state",
    "offer_group",
    "value_at_risk",
    "offer_sent_on",
    "coupon_id",
    "bonus_entry_id",
    "won_order_id",
    "won_date",
    "days_to_win_back",
    "recovered_revenue",
    "lost_reason_id",
    "lost_note",
    "closed_on",
}


class CrmChurnAlert(models.Model):
    """A customer whose risk rose into high or critical, handed to a person.

    At most one open alert per customer and company, guaranteed by a partial
    unique index (a cron and an order confirmation can race). The alert is
    closed as won back by the customer's next order, or as lost with a reason.
    """

    _name = "crm.churn.alert"
    _description = "Churn Alert"
    _inherit = ["mail.thread", "mail.activity.mixin", "crm.lifecycle.group.order.mixin"]
    _order = "alert_date desc, id desc"
    _check_company_auto = True
    _lifecycle_ordered_groups = ("level",)

    name = fields.Char(required=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner",
        "Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users", "Salesperson", index=True, tracking=True, check_company=True
    )
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    stage = fields.Selection(
        STAGE_SELECTION,
        required=True,
        default="new",
        readonly=True,
        tracking=True,
        group_expand=True,
        index=True,
    )
    level = fields.Selection(
        LEVEL_SELECTION,
        "Risk level",
        required=True,
        readonly=True,
        tracking=True,
    )
    score = fields.Integer("Risk score at alert", readonly=True, aggregator="avg")
    reason_data = fields.Json(readonly=True)
    reasons = fields.Text(compute="_compute_reasons")
    current_score = fields.Integer(
        compute="_compute_current_risk", string="Risk score now"
    )
    alert_date = fields.Date("Alert date", required=True, readonly=True, index=True)
    deadline = fields.Date(
        readonly=True,
        help="The next working day for a critical alert; for a high one, the "
        "working days set in the settings.",
    )
    historic_clv = fields.Monetary(
        "Customer value at alert",
        readonly=True,
        help="Everything the customer had bought, untaxed, when the alert was opened.",
    )
    value_at_risk = fields.Monetary(
        "Value at risk",
        readonly=True,
        help="The customer's yearly value times the risk score (in per cent) "
        "when the alert was opened or last raised: what a year without this "
        "customer may cost.",
    )
    escalated = fields.Boolean(
        "Escalated to the manager",
        readonly=True,
        tracking=True,
        help="Nobody worked on the alert within the escalation delay: the sales "
        "team leader (or the escalation manager) got an activity to follow it "
        "up.",
    )
    escalated_on = fields.Date("Escalated on", readonly=True)
    journey_id = fields.Many2one(
        "crm.journey",
        readonly=True,
        index="btree_not_null",
        help="The journey this alert follows: the first running journey "
        "triggered by a churn alert (by sequence) whose audience takes the "
        "customer. Its activity steps word the alert's activity, its offer "
        "step makes the alert's win-back offer.",
    )
    offer_step_id = fields.Many2one(
        "crm.journey.step",
        "Offer step",
        readonly=True,
        help="The journey step that made the offer: program, points and email.",
    )
    is_control = fields.Boolean(
        "Control group",
        readonly=True,
        help="Drawn into the control group: no offer is made, so that the "
        "win-back rate with and without offer can be compared.",
    )
    offer_type = fields.Selection(
        [
            ("none", "No offer"),
            ("coupon", "Single-use coupon"),
            ("points", "Bonus points"),
        ],
        "Offer type",
        default="none",
        readonly=True,
    )
    offer_state = fields.Selection(
        OFFER_STATE_SELECTION,
        "Offer",
        default="none",
        readonly=True,
        tracking=True,
        help="Where the journey's offer and email stand. An offer still "
        "waiting when the alert is closed (won back or lost) is not sent.",
    )
    offer_group = fields.Selection(
        [
            ("offer", "With offer"),
            ("control", "Without offer (control group)"),
            ("none", "No offer in the journey"),
        ],
        "Offer group",
        compute="_compute_offer_group",
        store=True,
        help="The two groups the win-back results compare: the alerts whose "
        "journey makes an offer, and those drawn into the control group, "
        "who get none.",
    )
    offer_sent_on = fields.Date("Offer sent on", readonly=True)
    coupon_id = fields.Many2one("loyalty.card", readonly=True)
    coupon_code = fields.Char(related="coupon_id.code", string="Coupon code")
    coupon_used = fields.Boolean("Coupon used", compute="_compute_coupon_used")
    bonus_entry_id = fields.Many2one(
        "crm.loyalty.entry", "Bonus points entry", readonly=True
    )
    won_order_id = fields.Many2one(
        "sale.order", "Order that won the customer back", readonly=True
    )
    won_date = fields.Date("Won back on", readonly=True)
    days_to_win_back = fields.Integer(
        "Days to win back",
        readonly=True,
        aggregator="avg",
        help="Days from the alert to the customer's first order after it.",
    )
    recovered_revenue = fields.Monetary(
        "Recovered revenue",
        readonly=True,
        help="Confirmed orders in the win-back window after the alert, untaxed, "
        "in company currency.",
    )
    win_back_rate = fields.Float(
        "Win-back rate (%)",
        compute="_compute_win_back_rate",
        store=True,
        aggregator="avg",
        help="100 for a won-back alert, 0 otherwise: its average over a group of "
        "alerts is the group's win-back rate.",
    )
    lost_reason_id = fields.Many2one(
        "crm.churn.reason", "Churn reason", readonly=True, tracking=True
    )
    lost_note = fields.Text("Lost note", readonly=True)
    closed_on = fields.Date("Closed on", readonly=True)
    color = fields.Integer(compute="_compute_color")

    def init(self):
        # At most one open alert per customer and company, even when two
        # transactions create one at the same time.
        self.env.cr.execute(
            SQL(
                """
                CREATE UNIQUE INDEX IF NOT EXISTS crm_churn_alert_one_open_idx
                    ON crm_churn_alert (partner_id, company_id)
                 WHERE stage IN ('new', 'in_progress')
                """
            )
        )

    def write(self, vals):
        context = self.env.context
        if (
            PROTECTED_FIELDS & set(vals)
            and not self.env.su
            and context.get(INTERNAL_WRITE) is not TRUSTED
            and context.get(SYSTEM_POST) is not TRUSTED
        ):
            raise UserError(
                self.env._(
                    "The stage, outcome and offer of a churn alert change through "
                    "its buttons (Start, Approve, Close as Lost...) only."
                )
            )
        return super().write(vals)

    def _write_internal(self, vals):
        return self.with_context(**{INTERNAL_WRITE: TRUSTED}).write(vals)

    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        if field_name == "level":
            level = self._field_to_sql(alias, field_name, query)
            return SQL("%s %s %s", level_order_sql(level), direction, nulls)
        return super()._order_field_to_sql(alias, field_name, direction, nulls, query)

    @api.depends("reason_data", "alert_date")
    @api.depends_context("lang")
    def _compute_reasons(self):
        """Why the alert was raised: its days count to the day it was,
        not to today (a won-back customer's alert would otherwise go on
        counting days without an order)."""
        Risk = self.env["crm.churn.risk"]
        for alert in self:
            alert.reasons = "\n".join(
                Risk._reason_text(code, params, on=alert.alert_date)
                for code, params in (alert.reason_data or [])
            )

    def _compute_current_risk(self):
        for alert in self:
            alert.current_score = alert.partner_id.with_company(
                alert.company_id
            ).churn_risk_score

    @api.depends("coupon_id.points", "coupon_id.use_count")
    def _compute_coupon_used(self):
        for alert in self:
            alert.coupon_used = bool(alert.coupon_id and alert.coupon_id.use_count)

    @api.depends("offer_state")
    def _compute_offer_group(self):
        """Drawn into the control group counts only where the journey had an
        offer to hold back: those are the customers the offers compare with."""
        for alert in self:
            if alert.offer_state in ("control", "none"):
                alert.offer_group = alert.offer_state
            else:
                alert.offer_group = "offer"

    @api.depends("stage")
    def _compute_win_back_rate(self):
        for alert in self:
            alert.win_back_rate = 100.0 if alert.stage == "won_back" else 0.0

    @api.depends("level", "escalated")
    def _compute_color(self):
        for alert in self:
            alert.color = (
                1 if alert.level == "critical" else (2 if alert.escalated else 0)
            )

    # ------------------------------------------------------------------
    # Creation by the nightly run
    # ------------------------------------------------------------------

    @api.model
    def _open_for(self, candidates, today):
        """Open alerts for these customers; returns the alerts created.

        ``candidates`` are dicts with partner_id, company_id, score, level,
        reason_data and historic_clv. Customers who already have an open alert
        get their alert raised to the new level instead.
        """
        if not candidates:
            return self.browse()
        open_alerts = self.search(
            [
                ("partner_id", "in", [c["partner_id"] for c in candidates]),
                ("stage", "in", OPEN_STAGES),
            ]
        )
        by_key = {(a.partner_id.id, a.company_id.id): a for a in open_alerts}
        vals_list = []
        for candidate in candidates:
            key = (candidate["partner_id"], candidate["company_id"])
            existing = by_key.get(key)
            if existing:
                existing._raise_level(candidate)
                continue
            vals_list.append(self._prepare_alert_vals(candidate, today))
        Creator = self.with_context(
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            **{SYSTEM_POST: TRUSTED},
        )
        alerts = self.browse()
        for vals in vals_list:
            # Another transaction (a second run, an order confirmation) may
            # have opened this customer's alert since our snapshot: the unique
            # index refuses the second one and the customer keeps the first.
            try:
                with self.env.cr.savepoint():
                    alerts |= Creator.create(vals)
            except UniqueViolation:
                _logger.info(
                    "Churn alert for partner %s already opened by another transaction",
                    vals["partner_id"],
                )
        alerts._schedule_alert_activity()
        # The journeys a churn alert triggers start at once: the alert's
        # offer waits for approval from the moment it opens.
        self.env["crm.journey"]._enter_churn_alerts(alerts, today)
        return alerts

    @api.model
    def _prepare_alert_vals(self, candidate, today):
        company = self.env["res.company"].browse(candidate["company_id"])
        partner = self.env["res.partner"].browse(candidate["partner_id"])
        team = self._team_for(partner, company)
        days = (
            1 if candidate["level"] == "critical" else company.churn_high_deadline_days
        )
        # The tier's service level (account manager, response time) first.
        owner, deadline = partner._loyalty_service(
            company, today, days, partner.user_id or team.user_id
        )
        return {
            "name": partner.display_name,
            "partner_id": partner.id,
            "company_id": company.id,
            "user_id": owner.id,
            "team_id": team.id,
            "level": candidate["level"],
            "score": candidate["score"],
            "reason_data": candidate["reason_data"],
            "historic_clv": candidate.get("historic_clv") or 0.0,
            "value_at_risk": candidate.get("value_at_risk") or 0.0,
            "alert_date": today,
            "deadline": deadline,
            "is_control": scoring.in_control_group(
                partner.id, company.id, company.churn_control_share
            ),
        }

    @api.model
    def _team_for(self, partner, company):
        """The customer's sales team (CRM's field when installed), else the
        salesperson's team, else the company's first team with a leader."""
        team = partner["team_id"] if "team_id" in partner._fields else None
        team = team or partner.user_id.sale_team_id
        if not team:
            team = self.env["crm.team"].search(
                [
                    ("company_id", "in", (False, company.id)),
                    ("user_id", "!=", False),
                ],
                limit=1,
            )
        return team

    def _raise_level(self, candidate):
        if scoring.LEVEL_RANK[candidate["level"]] <= scoring.LEVEL_RANK[self.level]:
            return
        self.with_context(**{SYSTEM_POST: TRUSTED}).write(
            {
                "level": candidate["level"],
                "score": candidate["score"],
                "reason_data": candidate["reason_data"],
                "value_at_risk": candidate.get("value_at_risk") or 0.0,
            }
        )

    def _schedule_alert_activity(self):
        """The salesperson's call for each new alert, with why the customer
        may leave. A journey triggered by the alert words it its own way
        (``_word_activity``)."""
        call = self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False)
        for alert in self.filtered("user_id"):
            alert._word_activity(call)

    def _word_activity(
        self, activity_type, summary=None, note=None, reword=True, deadline=None
    ):
        """Schedule the alert's activity for its salesperson (due on the
        alert's deadline unless given), or word the open one again
        (``reword``): one call per alert, not one per journey step."""
        self.ensure_one()
        # An activity keeps its text as written, and the nightly run writes
        # in its own user's language: word it in the salesperson's.
        alert = self.with_context(lang=self.user_id.lang or self.env.lang)
        env = alert.env
        reasons = [
            env["crm.churn.risk"]._reason_text(code, params, on=alert.alert_date)
            for code, params in (alert.reason_data or [])
        ]
        if not note and reasons:
            note = Markup("<p>%s</p><ul>%s</ul>") % (
                env._("Why this customer may leave:"),
                Markup().join(Markup("<li>%s</li>") % reason for reason in reasons),
            )
        summary = summary or env._(
            "Churn risk: call %(customer)s", customer=alert.partner_id.name
        )
        current = alert.activity_ids.filtered(lambda a: a.user_id == alert.user_id)[:1]
        if reword and current:
            current.write(
                {
                    "activity_type_id": activity_type.id,
                    "summary": summary,
                    "note": note or False,
                }
            )
            return current
        return alert.with_context(**{SYSTEM_POST: TRUSTED}).activity_schedule(
            act_type_xmlid=False,
            activity_type_id=activity_type.id if activity_type else False,
            date_deadline=deadline or alert.deadline,
            summary=summary,
            note=note or False,
            user_id=alert.user_id.id,
        )

    def _prepare_offer(self, step):
        """The offer of the journey's step on these alerts: waiting for the
        salesperson's approval, or sent at once when offers need none. The
        alerts drawn into the win-back control group get none. Returns the
        alerts whose customer was emailed."""
        emailed = self.browse()
        for alert in self:
            state = "control" if alert.is_control else "to_approve"
            alert._write_internal(
                {
                    "offer_step_id": step.id,
                    "offer_type": step.alert_offer_type,
                    "offer_state": state,
                }
            )
            if state == "to_approve" and alert.company_id.churn_auto_send:
                emailed |= alert._send_offer()
        return emailed

    # ------------------------------------------------------------------
    # Offers
    # ------------------------------------------------------------------

    def action_approve_offer(self):
        """Salesperson's approval: create the offer and email the customer."""
        self.check_access("write")
        for alert in self:
            if alert.stage not in OPEN_STAGES:
                raise UserError(
                    self.env._(
                        "%(alert)s is closed: its offer is no longer sent.",
                        alert=alert.display_name,
                    )
                )
            if alert.offer_state != "to_approve":
                raise UserError(
                    self.env._(
                        "The offer of %(alert)s is not waiting for approval.",
                        alert=alert.display_name,
                    )
                )
        self._send_offer()
        return True

    def action_skip_offer(self):
        self.check_access("write")
        for alert in self.filtered(
            lambda a: a.offer_state == "to_approve" and a.stage in OPEN_STAGES
        ):
            alert._write_internal({"offer_state": "skipped"})
        return True

    def _send_offer(self):
        """Make the offer and email it; returns the alerts whose customer
        was emailed."""
        emailed = self.browse()
        for alert in self:
            if alert.offer_type == "coupon":
                alert._write_internal({"coupon_id": alert._create_coupon().id})
            elif alert.offer_type == "points":
                alert._write_internal({"bonus_entry_id": alert._post_bonus_points().id})
            template = alert.offer_step_id.alert_mail_template_id
            if template and alert.partner_id._lifecycle_email_opted_out():
                # The customer opted out of emails: the offer is made, the
                # salesperson hands it over another way.
                alert.with_context(**{SYSTEM_POST: TRUSTED}).message_post(
                    body=alert.env._(
                        "No email sent: the customer opted out of emails. "
                        "Hand the offer over another way."
                    ),
                    subtype_xmlid="mail.mt_note",
                )
            elif template:
                emailed |= alert
                # The template belongs to a manager-made journey; sending it as
                # superuser lets a salesperson email the customer of his alert
                # without the right to edit templates.
                alert.with_context(**{SYSTEM_POST: TRUSTED}).message_post_with_source(
                    template.sudo(),
                    subtype_xmlid="mail.mt_comment",
                )
            alert._write_internal(
                {
                    "offer_state": "sent",
                    "offer_sent_on": fields.Date.context_today(alert),
                }
            )
        return emailed

    def _create_coupon(self):
        self.ensure_one()
        program = (
            self.offer_step_id.coupon_program_id
            or self.company_id.churn_coupon_program_id
        )
        if not program:
            raise UserError(
                self.env._(
                    "No coupon program is set for win-back offers: choose one in "
                    "the journey %(journey)s or in the settings.",
                    journey=self.offer_step_id.journey_id.name,
                )
            )
        points = min(program.reward_ids.mapped("required_points") or [1.0]) or 1.0
        # Salespeople may not create loyalty cards; the program and the value
        # come from a manager's journey, the caller approved his own alert.
        return (
            self.env["loyalty.card"]
            .sudo()
            .create(
                {
                    "program_id": program.id,
                    "partner_id": self.partner_id.id,
                    "points": points,
                    "expiration_date": fields.Date.context_today(self)
                    + timedelta(days=self.company_id.churn_winback_days),
                }
            )
        )

    def _post_bonus_points(self):
        self.ensure_one()
        program = self.offer_step_id.points_program_id
        card = (
            self.env["crm.loyalty.behaviour"]
            .sudo()
            .new({"program_id": program.id})
            ._card_for(self.partner_id)
        )
        # Worded when read, in the reader's language (the customer in the
        # ledger of his portal, a manager in the back end).
        return self.env["crm.loyalty.entry"]._post(
            card,
            "bonus",
            self.offer_step_id.points,
            f"crm_churn.alert:{self.id}:bonus",
            reason_code="winback",
            reason_params={},
            source=self,
        )

    # ------------------------------------------------------------------
    # Salesperson's actions
    # ------------------------------------------------------------------

    def action_start(self):
        self.filtered(lambda a: a.stage == "new")._write_internal(
            {"stage": "in_progress"}
        )
        return True

    def action_open_lost_wizard(self):
        self.check_access("write")
        if any(alert.stage not in OPEN_STAGES for alert in self):
            raise UserError(self.env._("Only open alerts can be closed as lost."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Close as lost"),
            "res_model": "crm.churn.alert.lost",
            "view_mode": "form",
            "target": "new",
            "context": {"default_alert_ids": self.ids},
        }

    def _set_lost(self, reason, note=False):
        if not reason:
            raise UserError(self.env._("Closing an alert as lost needs a reason."))
        closed = self.filtered(lambda a: a.stage in OPEN_STAGES)
        if closed != self:
            raise UserError(self.env._("Only open alerts can be closed as lost."))
        closed._write_internal(
            {
                "stage": "lost",
                "lost_reason_id": reason.id,
                "lost_note": note,
                "closed_on": fields.Date.context_today(self),
            }
        )
        closed._close_waiting_offers()
        closed.activity_ids.unlink()

    def _close_waiting_offers(self):
        """An offer still waiting for approval when its alert closes is not
        sent: the alert no longer offers it nor reads as waiting."""
        self.filtered(lambda a: a.offer_state == "to_approve")._write_internal(
            {"offer_state": "not_sent"}
        )

    def action_reopen(self):
        for alert in self.filtered(lambda a: a.stage == "lost"):
            vals = {
                "stage": "in_progress",
                "lost_reason_id": False,
                "lost_note": False,
                "closed_on": False,
            }
            if alert.offer_state == "not_sent":
                vals["offer_state"] = "to_approve"
            alert._write_internal(vals)
        return True

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "target": "current",
        }

    def message_post(self, **kwargs):
        """A person writing on a new alert has started working on it."""
        message = super().message_post(**kwargs)
        if (
            self.env.context.get(SYSTEM_POST) is not TRUSTED
            and self.env.user._is_internal()
        ):
            # Any internal follower may write on the alert; moving it out of
            # New is a side effect of that, not a right to change the stage.
            self.filtered(lambda a: a.stage == "new").sudo().write(
                {"stage": "in_progress"}
            )
        return message

    # ------------------------------------------------------------------
    # Won back, escalation: set-based, called by the nightly run and orders
    # ------------------------------------------------------------------

    @api.model
    def _detect_won_back(self, partner_ids=None):
        """Close as won back the open alerts whose customer ordered since.

        One query finds, per open alert, the first confirmed order of the
        customer in the alert's company within the win-back window.
        """
        self.env["crm.lifecycle.profile"]._flush_facts_inputs()
        self.flush_model()
        partner_filter = (
            SQL("AND a.partner_id = ANY(%s)", int_array(partner_ids))
            if partner_ids is not None
            else SQL()
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (a.id) a.id, so.id, so.local_day
                  FROM crm_churn_alert a
                  JOIN res_company c ON c.id = a.company_id
                  -- The alert's day is the day of the run where its user is:
                  -- the order's day is taken there too, not in UTC.
                  LEFT JOIN res_users u ON u.id = a.create_uid
                  LEFT JOIN res_partner up ON up.id = u.partner_id
                  JOIN LATERAL (
                      SELECT o.id, o.date_order,
                             (o.date_order AT TIME ZONE 'UTC'
                                 AT TIME ZONE COALESCE(up.tz, 'UTC'))::date
                                 AS local_day
                        FROM sale_order o
                        JOIN res_partner p ON p.id = o.partner_id
                       WHERE p.commercial_partner_id = a.partner_id
                         AND o.company_id = a.company_id
                         AND o.state = 'sale'
                      -- A purchase in another channel (an invoice without a
                      -- sale order, the till...) wins the customer back too,
                      -- on its day; it has no sale order to name.
                      UNION ALL
                      SELECT NULL::int, x.day::timestamp, x.day
                        FROM (%(other)s) x
                       WHERE x.partner_id = a.partner_id
                         AND x.company_id = a.company_id
                         AND x.state = 'sale'
                  ) so ON TRUE
                 WHERE a.stage IN ('new', 'in_progress')
                   AND so.local_day >= a.alert_date
                   AND so.local_day < a.alert_date + c.churn_winback_days + 1
                   %(partner_filter)s
                 ORDER BY a.id, so.date_order, so.id
                """,
                partner_filter=partner_filter,
                other=self._other_channel_purchases(partner_ids),
            )
        )
        if not rows:
            return self.browse()
        alerts = self.browse([row[0] for row in rows])
        for alert, (_aid, order_id, day) in zip(alerts, rows, strict=True):
            alert.with_context(**{SYSTEM_POST: TRUSTED}).write(
                {
                    "stage": "won_back",
                    "won_order_id": order_id or False,
                    "won_date": day,
                    "days_to_win_back": (day - alert.alert_date).days,
                    "closed_on": day,
                }
            )
        alerts._close_waiting_offers()
        alerts.activity_ids.unlink()
        alerts._update_recovered_revenue()
        return alerts

    @api.model
    def _other_channel_purchases(self, partner_ids=None):
        """The customers' purchases in the other channels, up to now, as the
        lifecycle counts them (``crm.lifecycle.profile._other_purchases``),
        as one relation."""
        Profile = self.env["crm.lifecycle.profile"]
        until = fields.Date.context_today(self) + timedelta(days=2)
        partner_ids = list(partner_ids) if partner_ids is not None else None
        return Profile._other_purchases_sql(until, partner_ids)

    def _update_recovered_revenue(self, today=None):
        """Sum the customer's confirmed orders in each alert's window."""
        if not self:
            return
        self.env["crm.lifecycle.profile"]._flush_facts_inputs()
        self.flush_model()
        self.env.execute_query(
            SQL(
                """
                UPDATE crm_churn_alert a
                   SET recovered_revenue = s.revenue
                  FROM (
                    SELECT a.id, COALESCE(SUM(so.amount), 0) AS revenue
                      FROM crm_churn_alert a
                      JOIN res_company c ON c.id = a.company_id
                      JOIN LATERAL (
                          SELECT o.date_order,
                                 o.amount_untaxed
                                     / COALESCE(NULLIF(o.currency_rate, 0), 1)
                                     AS amount
                            FROM sale_order o
                            JOIN res_partner p ON p.id = o.partner_id
                           WHERE p.commercial_partner_id = a.partner_id
                             AND o.company_id = a.company_id
                             AND o.state = 'sale'
                          UNION ALL
                          SELECT x.day::timestamp, x.amount
                            FROM (%(other)s) x
                           WHERE x.partner_id = a.partner_id
                             AND x.company_id = a.company_id
                             AND x.state = 'sale'
                      ) so ON TRUE
                     WHERE a.id = ANY(%(ids)s)
                       AND so.date_order >= a.alert_date
                       AND so.date_order < a.alert_date + c.churn_winback_days + 1
                     GROUP BY a.id
                  ) s
                 WHERE a.id = s.id
                """,
                ids=self.ids,
                other=self._other_channel_purchases(self.partner_id.ids),
            )
        )
        self.invalidate_recordset(["recovered_revenue"])

    @api.model
    def _refresh_open_windows(self, today):
        """Recovered revenue keeps growing while the window of a won-back
        alert is open (orders after the first one)."""
        alerts = self.search(
            [
                ("stage", "=", "won_back"),
                ("alert_date", ">=", today - timedelta(days=400)),
            ]
        ).filtered(
            lambda a: (
                a.alert_date + timedelta(days=a.company_id.churn_winback_days)
                >= today - timedelta(days=1)
            )
        )
        alerts._update_recovered_revenue()
        return alerts

    @api.model
    def _escalate(self, today):
        """Alerts still New after the company's delay go to the manager."""
        escalated = self.browse()
        for company in self.env["res.company"].search([]):
            limit = today - timedelta(days=company.churn_escalation_days)
            alerts = self.search(
                [
                    ("company_id", "=", company.id),
                    ("stage", "=", "new"),
                    ("escalated", "=", False),
                    ("alert_date", "<=", limit),
                ]
            )
            for alert in alerts:
                manager = alert.team_id.user_id
                if not manager or manager == alert.user_id:
                    manager = company.churn_escalation_user_id or manager
                alert.with_context(**{SYSTEM_POST: TRUSTED}).write(
                    {"escalated": True, "escalated_on": today}
                )
                # The note is the salesperson's to read, the activity the
                # manager's: each is written in its reader's language.
                owner = (alert.user_id or manager).lang or self.env.lang
                alert.with_context(lang=owner, **{SYSTEM_POST: TRUSTED}).message_post(
                    body=self.with_context(lang=owner).env._(
                        "Escalated to the manager: nobody worked on this alert "
                        "for %(days)s days.",
                        days=company.churn_escalation_days,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
                if manager:
                    boss = self.with_context(lang=manager.lang or self.env.lang)
                    alert.with_context(**{SYSTEM_POST: TRUSTED}).activity_schedule(
                        "mail.mail_activity_data_todo",
                        date_deadline=company._lifecycle_add_working_days(today, 1),
                        summary=boss.env._(
                            "Escalated churn alert: %(customer)s",
                            customer=alert.partner_id.name,
                        ),
                        user_id=manager.id,
                    )
            escalated |= alerts
        return escalated

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import format_date

from odoo.addons.crm_lifecycle.bulk_sql import ids_filter, int_array
from odoo.addons.crm_lifecycle.tools import snapshot
from odoo.addons.crm_loyalty.tools import tiers as tier_rules

from ..tools import backtest, scoring

# Most severe first: groups follow this order (crm.lifecycle.group.order.mixin),
# so that lists, kanbans and pivots read Critical, High, Medium, Low.
LEVEL_SELECTION = [
    ("critical", "Critical"),
    ("high", "High"),
    ("medium", "Medium"),
    ("low", "Low"),
]
# A history row is written when the level changes or the score moved this much
# since the last row: the trend without a row per customer per night.
HISTORY_MIN_MOVE = 5
# Days a settled complaint still counts as a sign.
COMPLAINT_RECENT_DAYS = 90


def level_order_sql(level_sql):
    """A level column as its position in LEVEL_SELECTION (critical 1 ...
    low 4), so that records sort as their groups do: the raw keys sort
    critical, high, low, medium."""
    keys = [key for key, _label in LEVEL_SELECTION]
    return SQL("array_position(%s::varchar[], %s::varchar)", keys, level_sql)


def by_severity(levels):
    """Levels present in a grouping, most severe first (group_expand of the
    partner's mirror, whose groups the mixin does not order)."""
    rank = scoring.LEVEL_RANK
    return sorted(levels, key=lambda level: rank.get(level, -1), reverse=True)


class CrmChurnRisk(models.Model):
    """Current churn risk of one customer in one company.

    A narrow table written in bulk by the nightly run (as the lifecycle
    profile, see crm_lifecycle's readme/DEVELOP.md); the score and the level
    are mirrored on the partner, company-dependent, only when they change.
    Reasons are stored as codes with figures and worded when read, in the
    reader's language.
    """

    _name = "crm.churn.risk"
    _inherit = ["crm.lifecycle.group.order.mixin", "crm.lifecycle.snapshot.mixin"]
    _description = "Customer Churn Risk"
    # What a salesperson should do first: the most savable value at risk.
    _order = "value_at_risk desc, score_exact desc, id"
    _rec_name = "partner_id"
    _check_company_auto = True
    _lifecycle_ordered_groups = ("level", "previous_level")

    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(related="partner_id.user_id", string="Salesperson")
    score = fields.Integer("Risk score", readonly=True, aggregator="avg")
    score_exact = fields.Float(
        "Exact risk score",
        digits=(7, 4),
        readonly=True,
        aggregator="avg",
        help="The risk score before it is rounded to a whole percent. Customers "
        "sharing a whole percent are listed in this order. It is refreshed "
        "when the whole-percent score or the level moves, so it never leaves "
        "the whole percent shown.",
    )
    score_meaning = fields.Char(
        "What the score means", compute="_compute_score_meaning"
    )
    level = fields.Selection(LEVEL_SELECTION, "Risk level", readonly=True, index=True)
    previous_level = fields.Selection(LEVEL_SELECTION, "Previous level", readonly=True)
    score_change = fields.Integer(
        "30-day change",
        readonly=True,
        help="Score now minus the score recorded 30 days ago.",
    )
    history_score = fields.Integer(readonly=True)
    reason_data = fields.Json(readonly=True)
    reasons = fields.Text(compute="_compute_reasons")
    strengths = fields.Json(readonly=True)
    yearly_value = fields.Monetary(
        "Yearly value",
        readonly=True,
        help="What the customer bought in an average year: the historic value "
        "spread over the time from the first to the last order (one year at "
        "least).",
    )
    value_at_risk = fields.Monetary(
        "Value at risk",
        readonly=True,
        help="Yearly value times the risk score (in per cent): what the "
        "company may lose in a year if this customer leaves. Lost customers "
        "count 0: they are to be won back, not kept.",
    )
    lost = fields.Boolean(
        "Lost customer",
        readonly=True,
        help="The customer is in the lifecycle stage Churned: no order for "
        "the company's churned days (Lifecycle settings). Lost customers are "
        "listed apart, for win-back, and get no churn alert.",
    )
    alert_pending = fields.Boolean(
        "Alert waiting",
        readonly=True,
        help="The level rose into high or critical and no alert was opened yet "
        "(the nightly cap was reached).",
    )
    alert_pending_since = fields.Date("Alert waiting since", readonly=True)
    scored_on = fields.Date(
        "Changed on", readonly=True, help="Last night the score or level changed."
    )
    lifecycle_stage = fields.Selection(related="partner_id.lifecycle_stage")
    rfm_segment = fields.Selection(related="partner_id.rfm_segment")
    value_class = fields.Selection(related="partner_id.lifecycle_value_class")
    historic_clv = fields.Monetary(
        related="partner_id.lifecycle_historic_clv", string="Historic value"
    )
    last_order_date = fields.Date(related="partner_id.lifecycle_last_order_date")
    open_alert_id = fields.Many2one(
        "crm.churn.alert", compute="_compute_open_alert_id", string="Open alert"
    )

    _sql_constraints = [
        (
            "partner_company_uniq",
            "UNIQUE(partner_id, company_id)",
            "A customer has one churn risk per company.",
        ),
    ]

    @api.depends("score", "company_id")
    @api.depends_context("lang")
    def _compute_score_meaning(self):
        """Whether the score is a calibrated probability (a meaningful
        backtest fitted the curve for the weights in force) or a weighted
        mean of the signals, in words next to it."""
        signal_weights = self.env["crm.churn.signal"]._weights()
        meanings = {}
        for company in self.company_id:
            # sudo: the company's calibration and its backtest are read by
            # whoever reads a score; only their horizon and day come out.
            company = company.sudo()
            weights = self._company_weights(company, signal_weights)
            calibration = company.churn_calibration or {}
            backtest_run = (
                self.env["crm.churn.backtest"]
                .sudo()
                .browse(calibration.get("backtest_id") or [])
                .exists()
            )
            if backtest_run and self._company_calibration(company, weights):
                meanings[company.id] = (backtest_run.horizon_days, backtest_run.as_of)
        for risk in self:
            meaning = meanings.get(risk.company_id.id)
            if meaning:
                risk.score_meaning = self.env._(
                    "About %(score)s in 100 such customers bought nothing within "
                    "%(days)s days (backtest of %(date)s).",
                    score=risk.score,
                    days=meaning[0],
                    date=format_date(self.env, meaning[1]),
                )
            else:
                risk.score_meaning = self.env._(
                    "Weighted signs of leaving, from 0 to 100; no backtest "
                    "has calibrated it into a probability yet."
                )

    @api.depends("reason_data")
    @api.depends_context("lang")
    def _compute_reasons(self):
        for risk in self:
            risk.reasons = "\n".join(
                risk._reason_text(code, params)
                for code, params in (risk.reason_data or [])
            )

    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        """Records sorted on a level go by severity (ascending: critical
        first), as the groups do."""
        if field_name in ("level", "previous_level"):
            level = self._field_to_sql(alias, field_name, query)
            return SQL("%s %s %s", level_order_sql(level), direction, nulls)
        return super()._order_field_to_sql(alias, field_name, direction, nulls, query)

    def _compute_open_alert_id(self):
        alerts = self.env["crm.churn.alert"].search(
            [
                ("partner_id", "in", self.partner_id.ids),
                ("stage", "in", ("new", "in_progress")),
            ]
        )
        by_key = {(a.partner_id.id, a.company_id.id): a for a in alerts}
        for risk in self:
            risk.open_alert_id = by_key.get((risk.partner_id.id, risk.company_id.id))

    def _label(self, model, field, value):
        selection = self.env[model]._fields[field]._description_selection(self.env)
        return dict(selection).get(value, value or "")

    def _days_since(self, params, on=None):
        """Days from the reason's date to ``on``, by default the reader's
        today: a customer's current reasons stay true on the days after the
        run. Reasons written before they carried a date hold the count of
        their night."""
        if params.get("since"):
            on = on or fields.Date.context_today(self)
            return (on - fields.Date.to_date(params["since"])).days
        return params.get("days")

    def _reason_text(self, code, params, on=None):
        """Word one reason for the salesperson, in the reader's language;
        the days a reason counts run to ``on`` (see ``_days_since``)."""
        _ = self.env._
        p = dict(params or {})
        if code == "prob_alive":
            return _("only %(percent)s%% likely to still be a customer", **p)
        if code == "no_purchase_90":
            return _("%(percent)s%% likely to buy nothing in the next 90 days", **p)
        if code == "few_purchases_90":
            return _("expected to buy %(expected)s times in the next 90 days", **p)
        if code == "overdue":
            return _(
                "no order for %(days)s days; usually orders every %(gap)s days",
                days=self._days_since(p, on),
                gap=p.get("gap"),
            )
        if code == "frequency_drop":
            return _(
                "orders fell %(percent)s%% against the previous %(months)s months",
                **p,
            )
        if code == "spending_drop":
            return _(
                "spending fell %(percent)s%% against the previous %(months)s months",
                **p,
            )
        if code == "stage":
            stage = self._label("res.partner", "lifecycle_stage", p.get("stage"))
            return _("lifecycle stage is %(stage)s", stage=stage)
        if code == "segment":
            segment = self._label("res.partner", "rfm_segment", p.get("segment"))
            return _("RFM segment is %(segment)s", segment=segment)
        if code == "cancellations":
            return _("%(count)s cancelled orders or refunds in the last 12 months", **p)
        if code == "rating":
            return _("low customer ratings (average %(rating)s out of 5)", **p)
        if code == "points_expiring":
            return _("%(points)s points expiring unused by %(date)s", **p)
        if code == "tier_at_risk":
            return _(
                "%(tier)s tier at risk: %(percent)s%% of what keeping it needs", **p
            )
        if code == "complaints":
            return self._complaint_reason_text(p)
        if code == "no_redemption":
            return _(
                "no points redeemed for %(days)s days", days=self._days_since(p, on)
            )
        return code

    def _complaint_reason_text(self, p):
        _ = self.env._
        if p.get("critical"):
            return _("critical complaint still open: %(summary)s", **p)
        if p.get("open"):
            return _("%(open)s open complaints; the last: %(summary)s", **p)
        return _(
            "%(recent)s complaints in the last %(days)s days",
            recent=p.get("recent"),
            days=COMPLAINT_RECENT_DAYS,
        )

    # ------------------------------------------------------------------
    # Gathering inputs: one query per batch, plus one per company for tiers
    # ------------------------------------------------------------------

    @api.model
    def _gather(self, partner_ids, as_of, replay=None):
        """Facts of these commercial partners, one dict per customer and company.

        Only customers with at least one confirmed order (a lifecycle profile
        with orders) are scored: a prospect cannot churn.

        ``replay``, the lifecycle profiles of these customers as they were on
        a past day ``as_of`` (rows of ``crm_lifecycle.tools.profile.evaluate``),
        replays that day for a backtest: the profiles are read from them
        instead of the table, and the ledger, the ratings and the tiers as
        they stood on that day (``crm.churn.backtest``).
        """
        self.env["res.partner"].flush_model(
            ["commercial_partner_id", "loyalty_tier_id"]
        )
        self.env["crm.lifecycle.profile"].flush_model()
        # The orders, and every channel's documents, that the facts read.
        self.env["crm.lifecycle.profile"]._flush_facts_inputs()
        self.env["crm.loyalty.lot"].flush_model()
        self.env["crm.loyalty.entry"].flush_model()
        if "rating.rating" in self.env:
            self.env["rating.rating"].flush_model()
        companies = self.env["res.company"].sudo().search([])
        query = self._gather_query(partner_ids, as_of, companies, replay=replay)
        keys = (
            "partner_id",
            "company_id",
            "stage",
            "segment",
            "prob_alive",
            "expected_purchases_90",
            "days_since_last_order",
            "avg_days_between_orders",
            "purchase_days",
            "historic_clv",
            "recent_orders",
            "previous_orders",
            "recent_revenue",
            "previous_revenue",
            "orders_12m",
            "cancellations",
            "rating_avg",
            "rating_count",
            "points_balance",
            "points_expiring",
            "points_expiry_date",
            "days_since_redemption",
            "last_order_date",
            "redemption_since",
            "tier_id",
            "active_days",
        )
        # Read once, not per customer: a field read costs a cache lookup.
        settings = {
            c.id: {
                "period_months": c.churn_period_months,
                "redemption_horizon_days": c.churn_redemption_days,
            }
            for c in companies
        }
        facts = []
        for row in self.env.execute_query(query):
            fact = dict(zip(keys, row, strict=True))
            fact.update(settings[fact["company_id"]])
            facts.append(fact)
        self._add_tier_facts(facts, as_of)
        self._add_extra_facts(facts, as_of, replay=replay)
        return facts

    @api.model
    def _add_extra_facts(self, facts, as_of, replay=None):
        """Hook for the signals another addon measures (survey answers,
        helpdesk tickets...): add ``fact["extra_signals"][code] =
        (strength, params)`` to the customers' facts, from what was known
        on ``as_of`` (``replay`` is set for a backtest's past day). Their
        weight is their ``crm.churn.signal`` record's (a ``selection_add``
        on its code and a data record); ``_reason_text`` words them.

        The complaints signal comes this way too (``_complaint_facts``)."""
        complaints = self._complaint_facts(
            list({fact["partner_id"] for fact in facts}), as_of
        )
        for fact in facts:
            found = complaints.get((fact["partner_id"], fact["company_id"]))
            signal = found and scoring.complaint_signal(*found)
            if signal:
                fact.setdefault("extra_signals", {})["complaints"] = signal
        return facts

    @api.model
    def _complaint_facts(self, partner_ids, as_of):
        """``{(commercial partner, company): [open, recent, critical open,
        last summary]}`` of the complaints logged on these customers (the
        *Complaint* activities, kept when done), as they stood on
        ``as_of``. An addon with another source of complaints (helpdesk
        tickets) adds its counts here."""
        complaint = self.env.ref(
            "crm_churn.mail_activity_type_complaint", raise_if_not_found=False
        )
        if not complaint or not partner_ids:
            return {}
        self.env["mail.activity"].flush_model()
        since = as_of - timedelta(days=COMPLAINT_RECENT_DAYS)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT rp.commercial_partner_id, a.churn_company_id,
                       COUNT(*) FILTER (WHERE a.date_done IS NULL
                                           OR a.date_done > %(as_of)s),
                       COUNT(*) FILTER (WHERE a.churn_complaint_date > %(since)s),
                       COUNT(*) FILTER (WHERE (a.date_done IS NULL
                                               OR a.date_done > %(as_of)s)
                                          AND a.churn_complaint_severity = 'high'),
                       (ARRAY_AGG(a.summary ORDER BY a.churn_complaint_date DESC,
                                                     a.id DESC))[1]
                  FROM mail_activity a
                  JOIN res_partner rp ON rp.id = a.res_id
                 WHERE a.res_model = 'res.partner'
                   AND a.activity_type_id = %(type)s
                   AND a.churn_company_id IS NOT NULL
                   AND rp.commercial_partner_id = ANY(%(partners)s)
                   AND a.churn_complaint_date <= %(as_of)s
                   AND (a.date_done IS NULL OR a.date_done > %(since)s
                        OR a.churn_complaint_date > %(since)s)
                 GROUP BY rp.commercial_partner_id, a.churn_company_id
                """,
                as_of=as_of,
                since=since,
                type=complaint.id,
                partners=int_array(partner_ids),
            )
        )
        return {(row[0], row[1]): list(row[2:]) for row in rows}

    @api.model
    def _gather_query(self, partner_ids, as_of, companies, replay=None):
        """The statement of ``_gather``, apart so that its plan can be
        checked: one row per scored customer and company."""
        until = as_of + timedelta(days=1)
        replaying = replay is not None
        months = [c.churn_period_months for c in companies]
        recent = [as_of - relativedelta(months=n) for n in months]
        previous = [as_of - relativedelta(months=2 * n) for n in months]
        expiring = [
            as_of + timedelta(days=c.churn_expiry_warning_days) for c in companies
        ]
        year_start = as_of - timedelta(days=365)
        Profile = self.env["crm.lifecycle.profile"]
        has_rating = "rating.rating" in self.env
        ratings = (
            SQL(
                """
                SELECT p.commercial_partner_id AS partner_id,
                       AVG(r.rating) AS rating_avg, COUNT(*) AS rating_count
                  FROM rating_rating r
                  JOIN res_partner p ON p.id = r.partner_id
                 WHERE r.consumed AND r.rating > 0
                   AND r.create_date >= %(year_start)s
                   %(before)s
                   AND p.commercial_partner_id = ANY(%(ids)s)
                 GROUP BY 1
                """,
                year_start=year_start,
                before=SQL("AND r.create_date < %s", until) if replaying else SQL(),
                ids=int_array(partner_ids),
            )
            if has_rating
            else SQL(
                "SELECT NULL::int AS partner_id, NULL::float8 AS rating_avg,"
                " 0 AS rating_count WHERE FALSE"
            )
        )
        return SQL(
            """
            WITH cfg AS (
                SELECT *
                  FROM unnest(%(companies)s::int[], %(recent)s::date[],
                              %(previous)s::date[], %(expiring)s::date[])
                       AS c(company_id, recent_start, previous_start, expiring_until)
            ), members AS MATERIALIZED (
                -- The batch's customers and their contacts, looked up once.
                -- The ledger and order parts below filter on the array of
                -- their ids so that PostgreSQL walks the partner_id indexes
                -- for this batch instead of hashing whole tables: with a
                -- join alone it scans every entry and lot in each batch,
                -- and a batch then costs in proportion to the database.
                SELECT id, commercial_partner_id, loyalty_tier_id
                  FROM res_partner
                 WHERE commercial_partner_id = ANY(%(ids)s)
            ), prof AS (%(profiles)s), purchases AS (
                -- The batch's orders of the last year (or of the two churn
                -- periods, when longer), and its purchases in the other
                -- channels (crm.lifecycle.profile._other_purchases).
                SELECT p.commercial_partner_id AS partner_id, so.company_id,
                       so.state, so.date_order,
                       so.amount_untaxed
                           / COALESCE(NULLIF(so.currency_rate, 0), 1) AS amount
                  FROM sale_order so
                  JOIN members p ON p.id = so.partner_id
                 WHERE so.partner_id = ANY(ARRAY(SELECT id FROM members))
                   AND so.date_order >= %(since)s
                   AND so.date_order < %(until)s
                %(other_purchases)s
            ), orders AS (
                -- One pass over them for every order count.
                SELECT so.partner_id, so.company_id,
                       COUNT(*) FILTER (WHERE so.state = 'sale'
                                          AND so.date_order >= c.recent_start)
                           AS recent_orders,
                       COUNT(*) FILTER (WHERE so.state = 'sale'
                                          AND so.date_order >= c.previous_start
                                          AND so.date_order < c.recent_start)
                           AS previous_orders,
                       SUM(so.amount)
                           FILTER (WHERE so.state = 'sale'
                                     AND so.date_order >= c.recent_start)
                           AS recent_revenue,
                       SUM(so.amount)
                           FILTER (WHERE so.state = 'sale'
                                     AND so.date_order >= c.previous_start
                                     AND so.date_order < c.recent_start)
                           AS previous_revenue,
                       COUNT(*) FILTER (WHERE so.state = 'sale'
                                          AND so.date_order >= %(year_start)s)
                           AS orders_12m,
                       COUNT(*) FILTER (WHERE so.state = 'cancel'
                                          AND so.date_order >= %(year_start)s)
                           AS cancelled_12m
                  FROM purchases so
                  LEFT JOIN cfg c ON c.company_id = so.company_id
                 WHERE so.date_order >= LEAST(c.previous_start, %(year_start)s)
                 GROUP BY 1, 2
            ), refunds AS (
                -- Credit notes and the other channels' refunds, as the
                -- lifecycle facts count them.
                SELECT r.partner_id, r.company_id, COUNT(*) AS refunds_12m
                  FROM (%(refunds)s) r
                 WHERE r.day >= %(year_start)s
                 GROUP BY 1, 2
            ), lots AS (%(lots)s), entries AS (%(entries)s
            ), ratings AS (%(ratings)s)
            SELECT pr.partner_id, pr.company_id, pr.stage, pr.rfm_segment,
                   pr.prob_alive, pr.expected_purchases_90,
                   -- Counted on the churn night: the profile keeps the
                   -- date, not a count that would age.
                   %(as_of)s::date - pr.last_order_date,
                   pr.avg_days_between_orders, pr.purchase_days, pr.historic_clv,
                   COALESCE(o.recent_orders, 0), COALESCE(o.previous_orders, 0),
                   COALESCE(o.recent_revenue, 0), COALESCE(o.previous_revenue, 0),
                   COALESCE(o.orders_12m, 0),
                   COALESCE(o.cancelled_12m, 0) + COALESCE(f.refunds_12m, 0),
                   r.rating_avg, COALESCE(r.rating_count, 0),
                   COALESCE(l.balance, 0), COALESCE(l.expiring, 0),
                   to_char(l.expiry_date, 'YYYY-MM-DD'),
                   (%(as_of)s::date
                       - COALESCE(e.last_redeem, e.first_entry)::date),
                   -- The dates the reasons count from, as text for their
                   -- jsonb (as the expiry date above).
                   to_char(pr.last_order_date, 'YYYY-MM-DD'),
                   to_char(COALESCE(e.last_redeem, e.first_entry)::date, 'YYYY-MM-DD'),
                   -- The company's tier, straight from the company-dependent
                   -- column of the row just read for the members.
                   %(tier)s,
                   pr.active_days
              FROM prof pr
              LEFT JOIN members cm ON cm.id = pr.partner_id
              LEFT JOIN orders o
                ON o.partner_id = pr.partner_id AND o.company_id = pr.company_id
              LEFT JOIN refunds f
                ON f.partner_id = pr.partner_id AND f.company_id = pr.company_id
              LEFT JOIN lots l
                ON l.partner_id = pr.partner_id AND l.company_id = pr.company_id
              LEFT JOIN entries e
                ON e.partner_id = pr.partner_id AND e.company_id = pr.company_id
              LEFT JOIN ratings r ON r.partner_id = pr.partner_id
             ORDER BY pr.partner_id, pr.company_id
            """,
            companies=companies.ids,
            recent=recent,
            previous=previous,
            expiring=expiring,
            ids=int_array(partner_ids),
            until=until,
            year_start=year_start,
            as_of=as_of,
            ratings=ratings,
            profiles=self._gather_profiles(partner_ids, replay),
            lots=self._gather_lots(until, as_of, replay),
            entries=self._gather_entries(until, replay),
            tier=self._gather_tier(as_of, replay),
            since=min([*previous, year_start]),
            refunds=Profile._refunds(until, list(partner_ids)),
            other_purchases=SQL("").join(
                SQL(
                    """
                    UNION ALL
                    SELECT o.partner_id, o.company_id, o.state,
                           o.day::timestamp, o.amount
                      FROM (%s) o
                     WHERE o.day >= %s
                    """,
                    source,
                    min([*previous, year_start]),
                )
                for source in Profile._other_purchases(until, list(partner_ids))
            ),
        )

    # The profile columns the scoring reads, as the replay hands them over.
    _REPLAY_COLUMNS = (
        ("partner_id", SQL("int")),
        ("company_id", SQL("int")),
        ("stage", SQL("varchar")),
        ("rfm_segment", SQL("varchar")),
        ("prob_alive", SQL("float8")),
        ("expected_purchases_90", SQL("float8")),
        ("last_order_date", SQL("date")),
        ("avg_days_between_orders", SQL("float8")),
        ("purchase_days", SQL("int")),
        ("historic_clv", SQL("float8")),
        ("active_days", SQL("int")),
    )

    @api.model
    def _gather_profiles(self, partner_ids, replay):
        """The customers' lifecycle profiles: the table's, or the replayed
        rows as arrays (one parameter per column, whatever the batch)."""
        if replay is None:
            return SQL(
                """
                SELECT pr.partner_id, pr.company_id, pr.stage, pr.rfm_segment,
                       pr.prob_alive, pr.expected_purchases_90,
                       pr.last_order_date, pr.avg_days_between_orders,
                       pr.purchase_days, pr.historic_clv,
                       pr.last_order_date - pr.first_order_date AS active_days
                  FROM crm_lifecycle_profile pr
                 WHERE pr.partner_id = ANY(%s) AND pr.order_count > 0
                """,
                int_array(partner_ids),
            )
        rows = [row for row in replay if row["order_count"]]
        for row in rows:
            first, last = row["first_order_date"], row["last_order_date"]
            row["stage"] = row.get("stage") or row["computed_stage"]
            row["active_days"] = (last - first).days if first and last else None
        names = [name for name, _type in self._REPLAY_COLUMNS]
        return SQL(
            "SELECT * FROM unnest(%s) AS pr(%s)",
            SQL(", ").join(
                SQL("%s::%s[]", [row[name] for row in rows], type_)
                for name, type_ in self._REPLAY_COLUMNS
            ),
            SQL(", ").join(SQL.identifier(name) for name in names),
        )

    @api.model
    def _gather_lots(self, until, as_of, replay):
        """Points held and expiring soon per customer: the lots' remaining
        points, or on a replayed day what remained of each lot then (its
        points less what entries before that day took from it)."""
        if replay is None:
            lots = SQL(
                """
                SELECT partner_id, company_id, expiry_date, remaining AS rem
                  FROM crm_loyalty_lot
                 WHERE remaining > 0
                   AND partner_id = ANY(ARRAY(SELECT id FROM members))
                """
            )
        else:
            lots = SQL(
                """
                SELECT l.partner_id, l.company_id, l.expiry_date,
                       l.points - COALESCE((
                           SELECT SUM(a.points)
                             FROM crm_loyalty_allocation a
                             JOIN crm_loyalty_entry e ON e.id = a.entry_id
                            WHERE a.lot_id = l.id AND e.date < %(until)s
                       ), 0) AS rem
                  FROM crm_loyalty_lot l
                 WHERE l.partner_id = ANY(ARRAY(SELECT id FROM members))
                   AND l.date < %(until)s
                   AND (l.expiry_date IS NULL OR l.expiry_date > %(as_of)s)
                """,
                until=until,
                as_of=as_of,
            )
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id, l.company_id,
                   SUM(l.rem) AS balance,
                   SUM(l.rem) FILTER (WHERE l.expiry_date <= c.expiring_until)
                       AS expiring,
                   MIN(l.expiry_date)
                       FILTER (WHERE l.expiry_date <= c.expiring_until)
                       AS expiry_date
              FROM (%s) l
              JOIN members p ON p.id = l.partner_id
              JOIN cfg c ON c.company_id = l.company_id
             WHERE l.rem > 0
             GROUP BY 1, 2
            """,
            lots,
        )

    @api.model
    def _gather_entries(self, until, replay):
        """Last redemption and first entry per customer (before a replayed
        day). Each contact's entries summed up first, as the index returns
        them, then the contacts' rows per customer: joined first, every entry
        of the batch (about 16 a customer) was sorted by customer."""
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id, e.company_id,
                   MAX(e.last_redeem) AS last_redeem,
                   MIN(e.first_entry) AS first_entry
              FROM (
                  SELECT partner_id, company_id,
                         MAX(date) FILTER (WHERE entry_type = 'redeem')
                             AS last_redeem,
                         MIN(date) AS first_entry
                    FROM crm_loyalty_entry
                   WHERE partner_id = ANY(ARRAY(SELECT id FROM members))
                     %s
                   GROUP BY partner_id, company_id
              ) e
              JOIN members p ON p.id = e.partner_id
             GROUP BY 1, 2
            """,
            SQL("AND date < %s", until) if replay is not None else SQL(),
        )

    @api.model
    def _gather_tier(self, as_of, replay):
        """The customer's tier in the company: the company-dependent column
        of the row read for the members, or on a replayed day the tier its
        history gave him then."""
        if replay is None:
            return SQL("(cm.loyalty_tier_id ->> pr.company_id::text)::int")
        return SQL(
            """
            (SELECT h.to_tier_id FROM crm_loyalty_tier_history h
              WHERE h.partner_id = pr.partner_id
                AND h.company_id = pr.company_id
                AND h.date <= %s
              ORDER BY h.date DESC, h.id DESC LIMIT 1)
            """,
            as_of,
        )

    @api.model
    def _add_tier_facts(self, facts, as_of):
        """Progress of tier members towards keeping their tier, per company
        (the tier itself comes with the facts, ``tier_id``)."""
        Tier = self.env["crm.loyalty.tier"].sudo()
        by_company = {}
        for fact in facts:
            if fact["tier_id"]:
                by_company.setdefault(fact["company_id"], []).append(fact)
        for company_id, company_facts in by_company.items():
            company = self.env["res.company"].browse(company_id)
            window = company.loyalty_tier_window
            # The same window as the tier review itself (crm_loyalty).
            start = tier_rules.window_start(window, as_of)
            metrics = Tier._metrics(
                company, [fact["partner_id"] for fact in company_facts], start, as_of
            )
            elapsed = 1.0
            if window == "calendar":
                elapsed = (as_of - date(as_of.year, 1, 1)).days / 365.0
            tiers = Tier.browse({fact["tier_id"] for fact in company_facts}).exists()
            for fact in company_facts:
                tier = tiers.browse(fact["tier_id"])
                if tier not in tiers or tier.retention_threshold <= 0:
                    continue
                fact["tier_name"] = tier.name
                fact["tier_progress"] = (
                    metrics.get(fact["partner_id"], 0.0) / tier.retention_threshold
                )
                fact["period_elapsed"] = elapsed

    # ------------------------------------------------------------------
    # Scoring and writing back
    # ------------------------------------------------------------------

    @api.model
    def _company_weights(self, company, signal_weights=None):
        """The signal weights that score ``company``'s customers: those the
        last backtest learned, when the company lets it choose and it
        adopted some, else the managers' (the signal table)."""
        if signal_weights is None:
            signal_weights = self.env["crm.churn.signal"]._weights()
        learned = company.churn_learned_weights
        if company.churn_weights_source == "learned" and learned:
            # The backtest learns the built-in signals; those another addon
            # adds keep the weight the managers set.
            extra = {
                code: weight
                for code, weight in signal_weights.items()
                if code not in scoring.SIGNALS
            }
            return {
                **extra,
                **{code: float(learned.get(code, 0.0)) for code in scoring.SIGNALS},
            }
        return dict(signal_weights)

    @api.model
    def _company_calibration(self, company, weights):
        """The company's calibration curve, when it was fitted for these
        weights: a score made with other weights (a manager changed them
        since) would be read on the wrong curve, and stays a weighted mean."""
        calibration = company.churn_calibration or {}
        fitted = calibration.get("weights") or {}
        curve = calibration.get("curve")
        if not curve:
            return None
        same = all(
            abs(float(fitted.get(code, 0.0)) - float(weights.get(code, 0.0))) < 1e-6
            for code in scoring.SIGNALS
        )
        return curve if same else None

    @api.model
    def _score_partners(self, partner_ids, as_of=None):
        """Score these commercial partners and write what changed, in bulk.

        Returns ``(written, risen)``: the number of rows written and the keys
        ``(partner_id, company_id)`` whose level rose into high or critical.
        """
        if not partner_ids:
            return 0, []
        as_of = as_of or fields.Date.context_today(self)
        facts = self._gather(partner_ids, as_of)
        signal_weights = self.env["crm.churn.signal"]._weights()
        companies = {c.id: c for c in self.env["res.company"].sudo().search([])}
        thresholds = {cid: c._churn_thresholds() for cid, c in companies.items()}
        existing = self._existing(partner_ids)
        past = self._scores_on(partner_ids, as_of - timedelta(days=30))
        # Scored a company at a time (its thresholds), kept in the facts'
        # order: the rows are written in key order.
        positions = {}
        for position, fact in enumerate(facts):
            positions.setdefault(fact["company_id"], []).append(position)
        results = [None] * len(facts)
        for company_id, company_positions in positions.items():
            company = companies[company_id]
            weights = self._company_weights(company, signal_weights)
            curve = self._company_calibration(company, weights)
            scored = scoring.score_all(
                [facts[position] for position in company_positions],
                weights,
                thresholds[company_id],
                calibrate=(lambda raws, c=curve: backtest.calibrate(raws, c))
                if curve
                else None,
            )
            for position, result in zip(company_positions, scored, strict=True):
                results[position] = result
        rows, mirrored, history, risen, seen = [], [], [], [], set()
        for fact, result in zip(facts, results, strict=True):
            key = (fact["partner_id"], fact["company_id"])
            seen.add(key)
            old = existing.get(key, {})
            rose = scoring.rose_into_alert(old.get("level"), result.level)
            pending = rose or (
                bool(old.get("alert_pending")) and result.level in scoring.ALERT_LEVELS
            )
            reason_data = [[r.code, r.params] for r in result.reasons]
            lost = scoring.is_lost(fact["stage"])
            yearly = scoring.yearly_value(fact["historic_clv"], fact["active_days"])
            at_risk = scoring.value_at_risk(yearly, result.score, lost)
            score_change = result.score - past.get(key, result.score)
            moved = (
                not old
                or result.level != old.get("level")
                or abs(result.score - (old.get("history_score") or 0))
                >= HISTORY_MIN_MOVE
            )
            if rose:
                risen.append(key)
            shown = {
                "score": result.score,
                "level": result.level,
                "alert_pending": pending,
                "score_change": score_change,
                "reason_data": reason_data,
                "yearly_value": yearly,
                "value_at_risk": at_risk,
                "lost": lost,
            }
            if snapshot.unchanged(old, shown, self._COMPARED):
                # Nothing the row shows moved (on a usual night, most
                # customers): it is not sent, as the upsert would leave it
                # alone.
                if moved:
                    history.append({"partner_id": key[0], "company_id": key[1], **old})
                continue
            if rose:
                pending_since = as_of
            elif pending:
                pending_since = old.get("alert_pending_since") or as_of
            else:
                pending_since = None
            row = {
                "partner_id": key[0],
                "company_id": key[1],
                "score": result.score,
                "score_exact": result.exact,
                "level": result.level,
                "previous_level": old.get("level") or None,
                "score_change": score_change,
                "history_score": old.get("history_score"),
                "reason_data": reason_data,
                "strengths": {
                    code: round(value, 3) for code, value in result.strengths.items()
                },
                "alert_pending": pending,
                "alert_pending_since": pending_since,
                "scored_on": as_of,
                "yearly_value": yearly,
                "value_at_risk": at_risk,
                "lost": lost,
            }
            if result.level == old.get("level"):
                row["previous_level"] = old.get("previous_level") or None
            if moved:
                row["history_score"] = result.score
                history.append(row)
            rows.append(row)
            if not old or (row["score"], row["level"]) != (old["score"], old["level"]):
                mirrored.append(row)
        gone = snapshot.gone(existing, seen)
        written = self._write_rows(rows)
        self._delete_rows(gone)
        # Only the customers whose score or level moved: the partner holds
        # what the score row held.
        self._write_partner_mirror(mirrored, gone)
        self.env["crm.churn.risk.history"]._record(history, as_of)
        self.invalidate_model()
        return written, risen

    @api.model
    def _existing(self, partner_ids):
        self.flush_model()
        query = SQL(
            """
            SELECT partner_id, company_id, score, level, previous_level,
                   history_score, alert_pending, scored_on,
                   score_change, alert_pending_since, reason_data,
                   yearly_value::float8, value_at_risk::float8, lost
              FROM crm_churn_risk WHERE %s
            """,
            ids_filter(SQL.identifier("partner_id"), partner_ids),
        )
        return {
            (row[0], row[1]): {
                "score": row[2],
                "level": row[3],
                "previous_level": row[4],
                "history_score": row[5],
                "alert_pending": row[6],
                "scored_on": row[7],
                "score_change": row[8],
                "alert_pending_since": row[9],
                "reason_data": row[10],
                "yearly_value": row[11],
                "value_at_risk": row[12],
                "lost": row[13],
            }
            for row in self.env.execute_query(query)
        }

    @api.model
    def _scores_on(self, partner_ids, day):
        """Score of each customer as recorded in the history on ``day``."""
        self.env["crm.churn.risk.history"].flush_model()
        query = SQL(
            """
            SELECT DISTINCT ON (partner_id, company_id) partner_id, company_id, score
              FROM crm_churn_risk_history
             WHERE %s AND date <= %s
             ORDER BY partner_id, company_id, date DESC, id DESC
            """,
            ids_filter(SQL.identifier("partner_id"), partner_ids),
            day,
        )
        return {(r[0], r[1]): r[2] for r in self.env.execute_query(query)}

    _COLUMNS = (
        ("score", "int4"),
        ("score_exact", "numeric"),
        ("level", "varchar"),
        ("previous_level", "varchar"),
        ("score_change", "int4"),
        ("history_score", "int4"),
        ("reason_data", "jsonb"),
        ("strengths", "jsonb"),
        ("alert_pending", "bool"),
        ("alert_pending_since", "date"),
        ("scored_on", "date"),
        ("yearly_value", "numeric"),
        ("value_at_risk", "numeric"),
        ("lost", "bool"),
    )

    # A score row is rewritten only when one of these moved. The batch
    # compares them before it builds the row (reading the reasons back costs
    # less than sending every row for PostgreSQL to compare), and the upsert
    # compares them again, so that a row is never rewritten for nothing.
    # The value and the lost flag move only with a new order, the score or
    # the stage, which mostly rewrite the row anyway: comparing them keeps
    # a usual night's rewrites where they were.
    _COMPARED = (
        "score",
        "level",
        "alert_pending",
        "reason_data",
        "score_change",
        "yearly_value",
        "value_at_risk",
        "lost",
    )

    _snapshot_columns = _COLUMNS
    _snapshot_compared = _COMPARED
    _snapshot_mirror = (
        ("churn_risk_score", "score", "int4"),
        ("churn_risk_level", "level", "varchar"),
    )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
        }

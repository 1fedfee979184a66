from datetime import timedelta

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..bulk_sql import int_array
from ..rpc_guards import ensure_existing
from ..tools import profile as profile_tools
from ..tools import snapshot

STAGE_SELECTION = [
    ("prospect", "Prospect"),
    ("new", "New"),
    ("active", "Active"),
    ("loyal", "Loyal"),
    ("at_risk", "At risk"),
    ("dormant", "Dormant"),
    ("churned", "Churned"),
    ("won_back", "Won back"),
]
# Segment and value class labels differ from the stage labels (a segment
# "Loyal customers" beside a stage "Loyal"): the three are shown side by side
# and each language gets one translation per English label.
SEGMENT_SELECTION = [
    ("champions", "Champions"),
    ("loyal", "Loyal customers"),
    ("potential_loyalist", "Potential loyalist"),
    ("new", "Recent customers"),
    ("promising", "Promising"),
    ("need_attention", "Need attention"),
    ("about_to_sleep", "About to sleep"),
    ("at_risk", "At-risk spenders"),
    ("cant_lose", "Can't lose them"),
    ("hibernating", "Hibernating"),
    ("lost", "Lost"),
]
VALUE_CLASS_SELECTION = [
    ("high_value", "High value"),
    ("potential", "Potential"),
    ("regular", "Regular"),
    ("lost", "Lapsed"),
]
PREDICTION_SELECTION = [("model", "Purchase model"), ("heuristic", "Heuristic")]

# Columns the batch writes, with their SQL types for unnest().
WRITTEN_COLUMNS = (
    ("stage", "varchar"),
    ("computed_stage", "varchar"),
    ("order_count", "int4"),
    ("purchase_days", "int4"),
    ("first_order_date", "date"),
    ("last_order_date", "date"),
    ("return_date", "date"),
    ("avg_order_value", "numeric"),
    ("avg_days_between_orders", "float8"),
    ("expected_next_order_date", "date"),
    ("historic_clv", "numeric"),
    ("rfm_recency_days", "int4"),
    ("rfm_frequency", "int4"),
    ("rfm_monetary", "numeric"),
    ("rfm_r", "int4"),
    ("rfm_f", "int4"),
    ("rfm_m", "int4"),
    ("rfm_segment", "varchar"),
    ("value_class", "varchar"),
    ("prob_alive", "float8"),
    ("expected_purchases_90", "float8"),
    ("expected_purchases_365", "float8"),
    ("predicted_clv_12m", "numeric"),
    ("prediction_method", "varchar"),
    ("purchase_model_id", "int4"),
    ("is_pinned", "bool"),
    ("pin_until", "date"),
    ("stage_date", "date"),
    ("computed_on", "date"),
)
# More days since the last order is an earlier last order.
_DATE_OPERATOR = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
# Columns whose change alone does not justify rewriting a row.
VOLATILE_COLUMNS = {"computed_on"}
# The columns compared to find the rows that changed: PostgreSQL compares
# them in the upsert itself, so a batch reads back only what its Python
# decides on (KEPT_COLUMNS), not the whole current profile.
COMPARED_COLUMNS = tuple(
    col for col, _type in WRITTEN_COLUMNS if col not in VOLATILE_COLUMNS
)
# The profile's values mirrored on res_partner (_partner_mirror_query).
MIRRORED_COLUMNS = ("stage", "rfm_segment", "value_class")
# What a refresh reads of the current profiles: a pin to keep, the date the
# stage was entered, and what stage, segment or mirror moves are told from.
KEPT_COLUMNS = (*MIRRORED_COLUMNS, "stage_date", "is_pinned", "pin_until")


class CrmLifecycleProfile(models.Model):
    """Lifecycle facts and scores of one customer in one company.

    A narrow table instead of columns on res_partner: the nightly run rewrites
    these values for every customer, and res_partner carries dozens of indexes
    and mail tracking (see readme/DEVELOP.md). Only the stage, the segment and
    the value class are mirrored on the partner, where they must be searchable
    and groupable, and only when they change.
    """

    _name = "crm.lifecycle.profile"
    _inherit = ["crm.lifecycle.snapshot.mixin"]
    _description = "Customer Lifecycle Profile"
    _snapshot_columns = WRITTEN_COLUMNS
    _snapshot_compared = COMPARED_COLUMNS
    _snapshot_mirror = (
        ("lifecycle_stage", "stage", "varchar"),
        ("rfm_segment", "rfm_segment", "varchar"),
        ("lifecycle_value_class", "value_class", "varchar"),
    )
    _order = "partner_id, company_id"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(related="partner_id.user_id", string="Salesperson")
    stage = fields.Selection(STAGE_SELECTION, readonly=True, index=True)
    computed_stage = fields.Selection(
        STAGE_SELECTION,
        readonly=True,
        help="Stage given by the rules, whatever a manager pinned.",
    )
    stage_date = fields.Date("In stage since", readonly=True)
    is_pinned = fields.Boolean("Pinned", readonly=True)
    pin_until = fields.Date("Pinned until", readonly=True)
    pin_reason = fields.Char(readonly=True)
    pinned_by_id = fields.Many2one("res.users", "Pinned by", readonly=True)
    order_count = fields.Integer("Orders", readonly=True, aggregator="sum")
    purchase_days = fields.Integer(
        readonly=True, help="Days with at least one confirmed order."
    )
    first_order_date = fields.Date("First order", readonly=True)
    last_order_date = fields.Date("Last order", readonly=True)
    return_date = fields.Date(
        "Came back on",
        readonly=True,
        help="Latest order placed after a silence long enough to be Dormant.",
    )
    # Counted when read, from today: stored, it went stale on every profile
    # that the nightly run finds unchanged and so leaves unwritten (a tenth
    # of them, the churned customers, on a usual night).
    days_since_last_order = fields.Integer(
        compute="_compute_days_since_last_order",
        search="_search_days_since_last_order",
    )
    avg_order_value = fields.Monetary(
        "Average order value", readonly=True, aggregator="avg"
    )
    avg_days_between_orders = fields.Float(
        "Average days between orders", digits=(16, 1), readonly=True, aggregator="avg"
    )
    expected_next_order_date = fields.Date(
        "Expected next order",
        readonly=True,
        help="Last order plus the customer's average gap between orders.",
    )
    historic_clv = fields.Monetary(
        "Historic lifetime value",
        readonly=True,
        help="Net revenue of all confirmed orders, less credit notes, in company "
        "currency.",
    )
    rfm_recency_days = fields.Integer("Recency (days)", readonly=True, aggregator="avg")
    rfm_frequency = fields.Integer(
        "Frequency (orders)", readonly=True, aggregator="avg"
    )
    rfm_monetary = fields.Monetary("Monetary", readonly=True)
    rfm_r = fields.Integer("R", readonly=True, aggregator="avg")
    rfm_f = fields.Integer("F", readonly=True, aggregator="avg")
    rfm_m = fields.Integer("M", readonly=True, aggregator="avg")
    rfm_score = fields.Char(
        "RFM", compute="_compute_rfm_score", search="_search_rfm_score"
    )
    rfm_segment = fields.Selection(
        SEGMENT_SELECTION, "Segment", readonly=True, index=True
    )
    value_class = fields.Selection(VALUE_CLASS_SELECTION, readonly=True, index=True)
    prob_alive = fields.Float(
        "Probability alive", digits=(16, 4), readonly=True, aggregator="avg"
    )
    expected_purchases_90 = fields.Float(
        "Expected purchases (90 days)", digits=(16, 3), readonly=True
    )
    expected_purchases_365 = fields.Float(
        "Expected purchases (365 days)", digits=(16, 3), readonly=True
    )
    predicted_clv_12m = fields.Monetary("Predicted value (12 months)", readonly=True)
    prediction_method = fields.Selection(PREDICTION_SELECTION, readonly=True)
    purchase_model_id = fields.Many2one(
        "crm.purchase.model", readonly=True, ondelete="set null"
    )
    computed_on = fields.Date(
        "Last changed on",
        readonly=True,
        help="The night these values last changed. The nightly run checks "
        "every customer but rewrites a profile only when something in it moved.",
    )

    _sql_constraints = [
        (
            "partner_company_uniq",
            "UNIQUE(partner_id, company_id)",
            "A customer has one lifecycle profile per company.",
        ),
    ]

    @api.depends("last_order_date")
    @api.depends_context("tz")
    def _compute_days_since_last_order(self):
        today = fields.Date.context_today(self)
        for profile in self:
            last = profile.last_order_date
            profile.days_since_last_order = (today - last).days if last else False

    def _search_days_since_last_order(self, operator, value):
        """The same condition on the stored date of the last order."""
        if operator in ("=", "!=") and value is False:
            return [("last_order_date", operator, False)]
        today = fields.Date.context_today(self)

        def day(days):
            if isinstance(days, bool):
                raise TypeError(days)
            return today - timedelta(days=int(days))

        try:
            if operator in ("in", "not in"):
                return [("last_order_date", operator, [day(v) for v in value])]
            if operator not in _DATE_OPERATOR:
                raise TypeError(operator)
            return [("last_order_date", _DATE_OPERATOR[operator], day(value))]
        except (TypeError, ValueError, OverflowError) as error:
            raise UserError(
                self.env._(
                    "Days since the last order can only be compared with a number."
                )
            ) from error

    def _compute_rfm_score(self):
        for profile in self:
            scores = (profile.rfm_r, profile.rfm_f, profile.rfm_m)
            profile.rfm_score = "".join(map(str, scores)) if all(scores) else False

    _RFM_SCORE_OPERATORS = (
        "=",
        "!=",
        "in",
        "not in",
        "like",
        "not like",
        "ilike",
        "not ilike",
    )

    def _search_rfm_score(self, operator, value):
        """The score is the three stored digits side by side ("543"): the
        customer list's filter "RFM = 555" or "RFM starts with 5" compares
        that text in SQL, on the profiles that have all three scores."""
        if operator not in self._RFM_SCORE_OPERATORS:
            raise UserError(
                self.env._(
                    "The RFM score cannot be compared with %(operator)s.",
                    operator=operator,
                )
            )
        negative = operator.startswith("not") or operator == "!="
        if value is False or value == []:
            scored = [
                ("rfm_r", "!=", False),
                ("rfm_f", "!=", False),
                ("rfm_m", "!=", False),
            ]
            if operator in ("=", "in", "not like", "not ilike"):
                return ["!", "&", "&", *scored]
            return scored
        text = SQL("concat(rfm_r, rfm_f, rfm_m)")
        if operator in ("in", "not in"):
            condition = SQL("%s = ANY(%s)", text, [str(v) for v in value])
        elif operator in ("like", "not like"):
            condition = SQL("%s LIKE %s", text, f"%{value}%")
        elif operator in ("ilike", "not ilike"):
            condition = SQL("%s ILIKE %s", text, f"%{value}%")
        else:
            condition = SQL("%s = %s", text, str(value))
        matching = SQL(
            "(SELECT id FROM crm_lifecycle_profile WHERE rfm_r > 0 AND rfm_f > 0"
            " AND rfm_m > 0 AND %s)",
            condition,
        )
        return [("id", "not in" if negative else "in", matching)]

    # ------------------------------------------------------------------
    # Gathering inputs
    # ------------------------------------------------------------------

    @api.model
    def _company_settings(self, company_ids, cuts=None, fits=None):
        """Settings per company for ``tools.profile.evaluate``; ``fits`` as
        returned by ``crm.purchase.model._latest_fits``."""
        cuts = cuts or {}
        fits = fits or {}
        settings = {}
        # The settings of every company with customers in the batch, also
        # those the user who triggers the refresh may not read.
        for company in self.env["res.company"].sudo().browse(company_ids):
            fit = fits.get(company.id)
            settings[company.id] = profile_tools.CompanySettings(
                thresholds=company._lifecycle_thresholds(),
                monetary=company.lifecycle_rfm_monetary,
                cuts=cuts.get(str(company.id)) or cuts.get(company.id),
                model=fit.prediction if fit else None,
            )
        return settings

    @api.model
    def _facts_query(self, as_of, partner_ids=None):
        """One aggregate over purchases (and credit notes) per customer and company.

        Purchases are the confirmed sale orders and the sources of
        ``_other_purchases`` (invoices without a sale order; channel addons
        add theirs).

        ``partner_ids`` are commercial partners (a list, or the SQL array of
        ``_customers_of``); None means everyone. The
        result has one row per customer and company with at least one order in
        any state, so that customers with quotations only are Prospects.
        """
        margin = (
            SQL("so.margin / COALESCE(NULLIF(so.currency_rate, 0), 1)")
            if "margin" in self.env["sale.order"]._fields
            else SQL("NULL::numeric")
        )
        partner_filter = (
            SQL("AND p.commercial_partner_id = ANY(%s)", self._ids_array(partner_ids))
            if partner_ids is not None
            else SQL()
        )
        until = as_of + timedelta(days=1)
        return SQL(
            """
            WITH cfg AS (
                SELECT id AS company_id,
                       %(as_of)s::date - lifecycle_rfm_window_days AS window_start,
                       lifecycle_dormant_days AS dormant_days
                  FROM res_company
                 WHERE active
            ), orders AS (
                SELECT p.commercial_partner_id AS partner_id, so.company_id, so.state,
                       so.date_order::date AS day,
                       so.amount_untaxed
                           / COALESCE(NULLIF(so.currency_rate, 0), 1) AS amount,
                       %(margin)s AS margin
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.date_order < %(until)s
                   %(partner_filter)s
                %(other_purchases)s
            ), days AS (
                SELECT partner_id, company_id, day, COUNT(*) AS n,
                       SUM(amount) AS amount, SUM(margin) AS margin
                  FROM orders
                 WHERE state = 'sale'
                 GROUP BY partner_id, company_id, day
            ), ranked AS (
                SELECT d.*, d.day - LAG(d.day) OVER w AS gap, ROW_NUMBER() OVER w AS rn
                  FROM days d
                WINDOW w AS (PARTITION BY d.partner_id, d.company_id ORDER BY d.day)
            ), sales AS (
                SELECT r.partner_id, r.company_id,
                       SUM(r.n) AS order_count,
                       COUNT(*) AS purchase_days,
                       MIN(r.day) AS first_day,
                       MAX(r.day) AS last_day,
                       MAX(r.day) FILTER (WHERE r.gap >= c.dormant_days) AS return_day,
                       SUM(r.amount) AS revenue,
                       SUM(r.amount) FILTER (WHERE r.rn > 1) AS repeat_revenue,
                       SUM(r.n) FILTER (WHERE r.day >= c.window_start) AS window_orders,
                       SUM(r.amount) FILTER (WHERE r.day >= c.window_start)
                           AS window_revenue,
                       SUM(r.margin) FILTER (WHERE r.day >= c.window_start)
                           AS window_margin,
                       MAX(r.day) FILTER (WHERE r.day >= c.window_start)
                           AS window_last_day,
                       STDDEV_SAMP(r.gap) AS gap_sd
                  FROM ranked r
                  JOIN cfg c ON c.company_id = r.company_id
                 GROUP BY r.partner_id, r.company_id
            ), refunds AS (
                SELECT r.partner_id, r.company_id,
                       SUM(r.amount) AS refunded,
                       SUM(r.amount) FILTER (WHERE r.day >= c.window_start)
                           AS window_refunded
                  FROM (%(refunds)s) r
                  JOIN cfg c ON c.company_id = r.company_id
                 GROUP BY 1, 2
            ), known AS (
                SELECT DISTINCT partner_id, company_id FROM orders
            )
            SELECT k.partner_id, k.company_id,
                   COALESCE(s.order_count, 0), COALESCE(s.purchase_days, 0),
                   s.first_day, s.last_day, s.return_day,
                   COALESCE(s.revenue, 0), COALESCE(f.refunded, 0),
                   COALESCE(s.repeat_revenue, 0),
                   COALESCE(s.window_orders, 0), COALESCE(s.window_revenue, 0),
                   s.window_margin, COALESCE(f.window_refunded, 0), s.window_last_day,
                   s.gap_sd
              FROM known k
              LEFT JOIN sales s
                ON s.partner_id = k.partner_id AND s.company_id = k.company_id
              LEFT JOIN refunds f
                ON f.partner_id = k.partner_id AND f.company_id = k.company_id
             ORDER BY k.partner_id, k.company_id
            """,
            as_of=as_of,
            margin=margin,
            until=until,
            partner_filter=partner_filter,
            other_purchases=self._union_all(self._other_purchases(until, partner_ids)),
            refunds=self._refunds(until, partner_ids),
        )

    @api.model
    def _refunds(self, until, partner_ids=None):
        """What reduces purchases, as rows of ``partner_id`` (the commercial
        partner), ``company_id``, ``day`` and ``amount`` (negative): the
        posted credit notes that ``_counted_refund`` keeps, and the refunds
        of ``_other_refunds``; ``partner_ids`` as in ``_facts_query``."""
        partner_filter = self._customers_filter("m", partner_ids)
        return SQL(
            """
            SELECT m.commercial_partner_id AS partner_id, m.company_id,
                   m.invoice_date AS day, m.amount_untaxed_signed AS amount
              FROM account_move m
             WHERE m.move_type = 'out_refund'
               AND m.state = 'posted'
               AND m.invoice_date < %(until)s
               %(partner_filter)s
               %(counted_refund)s
            %(other_refunds)s
            """,
            until=until,
            partner_filter=partner_filter,
            counted_refund=self._counted_refund("m"),
            other_refunds=self._union_all(self._other_refunds(until, partner_ids)),
        )

    @api.model
    def _customers_filter(self, alias, partner_ids):
        """``AND alias.commercial_partner_id = ANY(...)`` for ``partner_ids``
        as in ``_facts_query``; nothing for None (everyone)."""
        if partner_ids is None:
            return SQL()
        return SQL(
            "AND %s.commercial_partner_id = ANY(%s)",
            SQL.identifier(alias),
            self._ids_array(partner_ids),
        )

    @api.model
    def _union_all(self, selects):
        """``UNION ALL`` followed by each SELECT: appended to a first one,
        nothing when there are none (the statement then has the plan it had
        before channels existed)."""
        return SQL("").join(SQL("UNION ALL %s", select) for select in selects)

    @api.model
    def _other_refunds(self, until, partner_ids=None):
        """Refunds that are not credit notes, as SELECTs of ``partner_id``
        (the commercial partner), ``company_id``, ``day`` and ``amount``
        (negative, untaxed, in the company's currency) before ``until``;
        ``partner_ids`` as in ``_facts_query``. A channel addon whose
        refunds are documents of its own (a Point of Sale refund order)
        extends this list; they reduce what the customer bought, never below
        zero, like a credit note."""
        return []

    @api.model
    def _other_purchases(self, until, partner_ids=None):
        """Purchases that are not sale orders, as SELECTs of ``partner_id``
        (the commercial partner), ``company_id``, ``state`` ('sale' for a
        purchase; any other state only makes the customer known), ``day``,
        ``amount`` and ``margin`` in the company's currency, untaxed, before
        ``until``; ``partner_ids`` as in ``_facts_query``.

        A channel addon (Point of Sale...) extends this list with its own
        source; the facts, the RFM cut points and the stages then see its
        purchases like orders.
        """
        return [self._direct_invoice_purchases(until, partner_ids)]

    @api.model
    def _other_purchases_sql(self, until, partner_ids=None):
        """``_other_purchases`` as one relation (none: an empty one)."""
        sources = self._other_purchases(until, partner_ids)
        if not sources:
            return SQL(
                "SELECT NULL::int AS partner_id, NULL::int AS company_id,"
                " NULL::varchar AS state, NULL::date AS day,"
                " NULL::numeric AS amount, NULL::numeric AS margin WHERE FALSE"
            )
        return SQL(" UNION ALL ").join(sources)

    def init(self):
        res = super().init()
        # Once every model of the module being installed has its columns: a
        # channel addon's purchases read its own company setting, whose
        # column its res.company may only get after this model.
        self.pool.post_init(self._create_purchase_view)
        return res

    @api.model
    def _create_purchase_view(self):
        """``crm_lifecycle_purchase``: every purchase of every channel (sale
        orders and ``_other_purchases``) as rows of ``company_id``,
        ``partner_id`` (the commercial partner) and ``day``, for reports that
        are SQL views (the churn cohorts) and cannot call the hooks.

        Rebuilt whenever a module that extends this model is installed or
        updated (Odoo calls ``init`` then), so a channel addon's purchases
        join it by themselves; its columns never change, so the views built
        on it stay valid. A channel addon rebuilds it without itself when
        uninstalled."""
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW crm_lifecycle_purchase AS (
                    SELECT so.company_id,
                           p.commercial_partner_id AS partner_id,
                           so.date_order::date AS day
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.state = 'sale'
                    UNION ALL
                    SELECT o.company_id, o.partner_id, o.day
                      FROM (%(other)s) o
                     WHERE o.state = 'sale'
                )
                """,
                other=self._other_purchases_sql(SQL("'infinity'::date")),
            )
        )

    @api.model
    def _direct_invoice_purchases(self, until, partner_ids=None):
        """Posted customer invoices that no sale order produced, in the
        companies that count them (``lifecycle_count_invoices``): a company
        that invoices directly sells through them. An invoice of a sale order
        is that order's, already counted."""
        partner_filter = self._customers_filter("m", partner_ids)
        return SQL(
            """
            SELECT m.commercial_partner_id AS partner_id, m.company_id,
                   'sale'::varchar AS state, m.invoice_date AS day,
                   m.amount_untaxed_signed::numeric AS amount,
                   NULL::numeric AS margin
              FROM account_move m
              JOIN res_company rc
                ON rc.id = m.company_id AND rc.lifecycle_count_invoices
             WHERE m.move_type = 'out_invoice'
               AND m.state = 'posted'
               AND m.invoice_date < %(until)s
               %(partner_filter)s
               AND %(direct)s
            """,
            until=until,
            partner_filter=partner_filter,
            direct=self._is_direct_invoice("m"),
        )

    @api.model
    def _is_direct_invoice(self, alias):
        """No line of invoice ``alias`` comes from a sale order line."""
        return SQL(
            """NOT EXISTS (
                SELECT 1
                  FROM account_move_line l
                  JOIN sale_order_line_invoice_rel r ON r.invoice_line_id = l.id
                 WHERE l.move_id = %s.id
            )""",
            SQL.identifier(alias),
        )

    @api.model
    def _counted_refund(self, alias):
        """Credit note ``alias`` reduces a purchase the suite counts: it is
        left out only when it refunds an invoice without a sale order in a
        company that does not count those, so that such a refund takes
        nothing from the customer's value. One anti-join: the credit notes
        that name no invoice (most) find no row at once.

        Where every company counts such invoices, no credit note is left out
        and the condition is not written: PostgreSQL would otherwise plan
        the anti-join as a scan of every journal entry, in every batch."""
        if not self.env["res.company"]._lifecycle_skips_invoices():
            return SQL()
        return SQL(
            """AND NOT EXISTS (
                SELECT 1
                  FROM account_move inv
                  JOIN res_company rc
                    ON rc.id = inv.company_id AND NOT rc.lifecycle_count_invoices
                 WHERE inv.id = %(alias)s.reversed_entry_id
                   AND %(direct)s
            )""",
            alias=SQL.identifier(alias),
            direct=self._is_direct_invoice("inv"),
        )

    _FACT_KEYS = (
        "partner_id",
        "company_id",
        "order_count",
        "purchase_days",
        "first_day",
        "last_day",
        "return_day",
        "revenue",
        "refunded",
        "repeat_revenue",
        "window_orders",
        "window_revenue",
        "window_margin",
        "window_refunded",
        "window_last_day",
        "gap_sd",
    )

    def _flush_facts_inputs(self):
        self.env["res.company"].flush_model(
            ["active", "lifecycle_rfm_window_days", "lifecycle_dormant_days"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["sale.order"].flush_model()
        self.env["res.company"].flush_model(["lifecycle_count_invoices"])
        self.env["account.move"].flush_model(
            [
                "move_type",
                "state",
                "invoice_date",
                "amount_untaxed_signed",
                "commercial_partner_id",
                "reversed_entry_id",
            ]
        )
        self.env["account.move.line"].flush_model(["move_id", "sale_line_ids"])

    @api.model
    def _fetch_facts(self, as_of, partner_ids=None, existing=None):
        """The facts of these customers; with ``existing``, a dict, also
        their current profile rows by (partner, company), read by the same
        statement into it: every order confirmation refreshes its customer,
        one round trip less."""
        self._flush_facts_inputs()
        query = self._facts_query(as_of, partner_ids)
        if existing is None:
            rows = self.env.execute_query(query)
        else:
            self.flush_model()
            width = len(self._FACT_KEYS)
            rows = []
            for row in self.env.execute_query(
                SQL(
                    """
                    WITH facts AS (%s), old AS (%s)
                    SELECT f.*, o.*
                      FROM facts f
                      FULL JOIN old o
                        ON o.partner_id = f.partner_id
                       AND o.company_id = f.company_id
                     ORDER BY COALESCE(f.partner_id, o.partner_id),
                              COALESCE(f.company_id, o.company_id)
                    """,
                    query,
                    self._existing_query(partner_ids),
                )
            ):
                if row[width] is not None:
                    existing.update(self._existing_from([row[width:]]))
                if row[0] is not None:
                    rows.append(row[:width])
        # The sums arrive as floats: Odoo's cursor converts numeric values
        # (odoo/sql_db.py, undecimalize).
        return [dict(zip(self._FACT_KEYS, row, strict=True)) for row in rows]

    @api.model
    def _population_cuts(self, as_of, company_ids=None, share=1.0, slice_size=20000):
        """RFM cut points per company (all, or ``company_ids``) over the
        whole customer base, or a random ``share`` of it, from the orders and
        credit notes.

        Only each customer's window figures are read, as floats, into one
        numpy table, and the RFM inputs are computed column-wise: a million
        customers' full facts as dicts take gigabytes, and a Python call per
        customer seconds.
        """
        self._flush_facts_inputs()
        # Fetched in slices from the client-side result rather than through
        # a server-side cursor (``bulk_sql.stream``): PostgreSQL never runs a
        # cursor's query in parallel, and this one scans every order of the
        # window. The raw result is a few floats per customer.
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT w.company_id, w.window_orders, w.window_revenue::float8,
                       w.window_margin::float8, w.window_refunded::float8,
                       %s - w.window_last_day
                  FROM (%s) w
                """,
                as_of,
                self._window_facts_query(as_of, company_ids, share),
            )
        )
        table = self._fetch_table(6, slice_size)
        if not len(table):
            return {}
        company_ids = [int(c) for c in np.unique(table[:, 0])]
        settings = self._company_settings(company_ids)
        cuts = {}
        for company_id in company_ids:
            part = table if len(company_ids) == 1 else table[table[:, 0] == company_id]
            cuts[str(company_id)] = profile_tools.cuts_of(
                *profile_tools.rfm_columns(*part[:, 1:].T, settings[company_id])
            )
        return cuts

    @api.model
    def _stored_cuts(self, as_of, company_ids, slice_size=20000):
        """RFM cut points of these companies from the stored profiles, as the
        last run and the order confirmations since left them.

        Each profile keeps its customer's window figures; only recency moves
        with the date, and it is recomputed here from the last order. What
        the profiles do not know yet is the orders nobody confirmed through
        Odoo since the last run, and orders that left the window since: a
        day's worth of customers, against whole quintiles. The narrow
        profile table is read instead of every order of the window, grouped
        by customer: the run's preparation no longer grows with the order
        history, only with the number of customers.
        """
        if not company_ids:
            return {}
        self.flush_model(
            ["company_id", "last_order_date", "rfm_frequency", "rfm_monetary"]
        )
        windows = self._windows_sql(
            as_of, self.env["res.company"].sudo().browse(company_ids)
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT p.company_id, %(as_of)s::date - p.last_order_date,
                       p.rfm_frequency, p.rfm_monetary::float8
                  FROM crm_lifecycle_profile p
                  JOIN %(windows)s ON c.company_id = p.company_id
                 WHERE p.rfm_frequency > 0
                   AND p.last_order_date >= c.window_start
                   AND p.last_order_date <= %(as_of)s
                """,
                as_of=as_of,
                windows=windows,
            )
        )
        table = self._fetch_table(4, slice_size)
        cuts = {}
        for company_id in company_ids:
            part = table[table[:, 0] == company_id]
            if len(part):
                cuts[str(company_id)] = profile_tools.cuts_of(*part[:, 1:].T)
        return cuts

    @api.model
    def _windows_sql(self, as_of, companies):
        """Each company's analysis window as a literal list ``c(company_id,
        window_start)``, not a CTE over res_company: a CTE scan keeps
        PostgreSQL from running the scan of every window order in parallel
        (twice as long at 1M customers)."""
        return SQL(
            "unnest(%s::int[], %s::date[]) AS c(company_id, window_start)",
            companies.ids,
            [as_of - timedelta(days=c.lifecycle_rfm_window_days) for c in companies],
        )

    def _fetch_table(self, width, slice_size):
        """The cursor's pending result as a float table, filled in place
        slice by slice (no list of slices to concatenate); NULL gives NaN."""
        cr = self.env.cr
        table = np.empty((max(cr.rowcount, 0), width))
        filled = 0
        while rows := cr.fetchmany(slice_size):
            table[filled : filled + len(rows)] = rows
            filled += len(rows)
        return table[:filled]

    _WINDOW_KEYS = (
        "partner_id",
        "company_id",
        "window_orders",
        "window_revenue",
        "window_margin",
        "window_refunded",
        "window_last_day",
    )

    @api.model
    def _window_facts_query(self, as_of, company_ids=None, share=1.0):
        """The analysis-window part of ``_facts_query`` for every customer who
        bought in the window: what the RFM cut points need, without the whole
        history's per-day gaps (less than half the time at 100k customers). A
        test checks that both give the same window figures customer by
        customer."""
        margin = (
            SQL("so.margin / COALESCE(NULLIF(so.currency_rate, 0), 1)")
            if "margin" in self.env["sale.order"]._fields
            else SQL("NULL::numeric")
        )
        Company = self.env["res.company"].sudo()
        companies = (
            Company.search([]) if company_ids is None else Company.browse(company_ids)
        )
        windows = self._windows_sql(as_of, companies)
        return SQL(
            """
            WITH order_sales AS (
                SELECT p.commercial_partner_id AS partner_id, so.company_id,
                       COUNT(*) AS window_orders,
                       SUM(so.amount_untaxed
                           / COALESCE(NULLIF(so.currency_rate, 0), 1))
                           AS window_revenue,
                       SUM(%(margin)s) AS window_margin,
                       MAX(so.date_order::date) AS window_last_day
                  FROM sale_order so
                  JOIN %(windows)s ON c.company_id = so.company_id
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.state = 'sale'
                   AND so.date_order >= c.window_start
                   AND so.date_order < %(until)s
                   %(sample)s
                 GROUP BY 1, 2
            ), other_sales AS (
                SELECT o.partner_id, o.company_id, COUNT(*) AS window_orders,
                       SUM(o.amount) AS window_revenue,
                       SUM(o.margin) AS window_margin,
                       MAX(o.day) AS window_last_day
                  FROM (%(other_purchases)s) o
                  JOIN %(windows)s ON c.company_id = o.company_id
                  JOIN res_partner p ON p.id = o.partner_id
                 WHERE o.state = 'sale' AND o.day >= c.window_start
                   %(sample)s
                 GROUP BY 1, 2
            ), sales AS (
                SELECT partner_id, company_id, SUM(window_orders) AS window_orders,
                       SUM(window_revenue) AS window_revenue,
                       SUM(window_margin) AS window_margin,
                       MAX(window_last_day) AS window_last_day
                  FROM (SELECT * FROM order_sales
                        UNION ALL SELECT * FROM other_sales) u
                 GROUP BY 1, 2
            ), refunds AS (
                SELECT r.partner_id, r.company_id,
                       SUM(r.amount) AS window_refunded
                  FROM (%(refunds)s) r
                  JOIN %(windows)s ON c.company_id = r.company_id
                 WHERE r.day >= c.window_start
                 GROUP BY 1, 2
            )
            SELECT s.partner_id, s.company_id, s.window_orders, s.window_revenue,
                   s.window_margin, COALESCE(f.window_refunded, 0) AS window_refunded,
                   s.window_last_day
              FROM sales s
              LEFT JOIN refunds f
                ON f.partner_id = s.partner_id AND f.company_id = s.company_id
            """,
            windows=windows,
            margin=margin,
            until=as_of + timedelta(days=1),
            # The customers the purchase model's fit samples (a share of the
            # hashed ids); credit notes of the others find no sales row.
            sample=self.env["crm.purchase.model"]._sample_filter(share),
            other_purchases=self._other_purchases_sql(as_of + timedelta(days=1)),
            refunds=self._refunds(as_of + timedelta(days=1)),
        )

    # ------------------------------------------------------------------
    # Computing and writing back
    # ------------------------------------------------------------------

    @api.model
    def _refresh_partners(self, partner_ids, as_of=None, cuts=None, fits=None):
        """Recompute the profiles of these commercial partners, in bulk.

        Used by the nightly batches and, for one customer, when an order is
        confirmed or cancelled. Only rows whose values changed are written;
        stage and segment changes close the open history stay and open a new
        one. Returns the number of profiles written.
        """
        if not partner_ids:
            return 0
        as_of = as_of or fields.Date.context_today(self)
        existing = {}
        facts = self._fetch_facts(as_of, partner_ids, existing=existing)
        company_ids = sorted({fact["company_id"] for fact in facts})
        if cuts is None:
            cuts = self.env["crm.lifecycle.run"]._latest_cuts()
        if fits is None:
            fits = self.env["crm.purchase.model"]._latest_fits(company_ids)
        settings = self._company_settings(company_ids, cuts, fits)
        results = profile_tools.evaluate(facts, settings, as_of)
        # Read once per company, not once per customer through the ORM.
        methods = {
            company_id: (
                "model" if fit and fit.state == "fitted" else "heuristic",
                fit.id if fit else None,
            )
            for company_id in company_ids
            for fit in [fits.get(company_id)]
        }
        for row in results:
            old = existing.get(snapshot.key_of(row)) or {}
            row["prediction_method"], row["purchase_model_id"] = methods[
                row["company_id"]
            ]
            row["computed_on"] = as_of
            pinned = old.get("is_pinned") and (
                not old.get("pin_until") or old["pin_until"] >= as_of
            )
            row["is_pinned"] = bool(pinned)
            row["pin_until"] = old.get("pin_until") if pinned else None
            row["stage"] = old["stage"] if pinned else row["computed_stage"]
            row["stage_date"] = (
                as_of if row["stage"] != old.get("stage") else old.get("stage_date")
            )
        stage_moves = snapshot.moves(results, existing, "stage")
        segment_moves = snapshot.moves(results, existing, "rfm_segment")
        mirrored = snapshot.mirrored(results, existing, MIRRORED_COLUMNS)
        gone = snapshot.gone(existing, {snapshot.key_of(row) for row in results})
        # The mirror on res_partner rides in the profiles' statement: one
        # round trip less on every order confirmation. Only the rows whose
        # mirrored values moved: the partner holds what the profile held, and
        # matching thousands of unchanged partners costs every batch.
        if results:
            written = self._write_rows(
                results, also=self._partner_mirror_query(mirrored, gone)
            )
        else:
            written = 0
            self._write_partner_mirror(mirrored, gone)
        self._delete_rows(gone)
        self._invalidate_partner_mirror()
        self.env["crm.lifecycle.stage.history"]._record_moves(stage_moves, as_of)
        self.env["crm.rfm.segment.history"]._record_moves(segment_moves, as_of)
        self.invalidate_model()
        if mirrored:
            self._lifecycle_mirror_moved(
                [
                    (
                        row["partner_id"],
                        row["company_id"],
                        {
                            field: (existing.get(snapshot.key_of(row)) or {}).get(
                                column
                            )
                            or False
                            for field, column, _type in self._snapshot_mirror
                        },
                    )
                    for row in mirrored
                ]
            )
        return written

    @api.model
    def _lifecycle_mirror_moved(self, moves):
        """Hook called after a refresh wrote the partner's copy of the
        stage, segment or value class in bulk (the ORM's ``write`` never saw
        it): ``moves`` are ``(partner_id, company_id, {field: old value})``
        of the customers whose copy moved. A glue addon
        (``crm_lifecycle_automation``) runs Odoo's automation rules "On
        update" of the customer on them."""
        return True

    @api.model
    def _existing_query(self, partner_ids):
        return SQL(
            "SELECT partner_id, company_id, %s FROM crm_lifecycle_profile"
            " WHERE partner_id = ANY(%s)",
            SQL(", ").join(SQL.identifier(col) for col in KEPT_COLUMNS),
            self._ids_array(partner_ids),
        )

    @api.model
    def _customers_of(self, partner_ids):
        """The commercial partners of these partners, as an SQL array that
        the refresh statements resolve themselves: reading
        ``commercial_partner_id`` through the ORM costs a read of each
        partner's whole row on every order confirmation."""
        return SQL(
            "ARRAY(SELECT DISTINCT commercial_partner_id FROM res_partner"
            " WHERE id = ANY(%s))",
            list(partner_ids),
        )

    @api.model
    def _ids_array(self, partner_ids):
        """A list of commercial partner ids, or ``_customers_of``'s array.

        The list alone, never also bounded by its range (``BETWEEN min AND
        max``): PostgreSQL multiplies both selectivities and expects a few
        dozen of a batch's thousands of customers; on a first night, with
        statistics not yet updated, a batch then takes many times its usual
        time.
        """
        return partner_ids if isinstance(partner_ids, SQL) else int_array(partner_ids)

    @api.model
    def _existing_from(self, rows):
        return {
            (row[0], row[1]): dict(zip(KEPT_COLUMNS, row[2:], strict=True))
            for row in rows
        }

    # ------------------------------------------------------------------
    # Manual pinning
    # ------------------------------------------------------------------

    def _pin(self, stage, reason, until=False):
        """Pin these profiles' stage; the nightly run leaves them alone."""
        today = fields.Date.context_today(self)
        moves = [
            (profile.partner_id.id, profile.company_id.id, profile.stage, stage)
            for profile in self
            if profile.stage != stage
        ]
        moved = self.filtered(lambda profile: profile.stage != stage)
        moved.write({"stage_date": today})
        self.write(
            {
                "stage": stage,
                "is_pinned": True,
                "pin_until": until or False,
                "pin_reason": reason,
                "pinned_by_id": self.env.uid,
            }
        )
        self.env["crm.lifecycle.stage.history"]._record_moves(
            moves, today, manual=True, reason=reason
        )
        self._write_partner_mirror(
            [
                {
                    "partner_id": p.partner_id.id,
                    "company_id": p.company_id.id,
                    "stage": p.stage,
                    "rfm_segment": p.rfm_segment,
                    "value_class": p.value_class,
                }
                for p in self
            ]
        )
        label = dict(self._fields["stage"]._description_selection(self.env))[stage]
        for profile in self:
            if until:
                body = self.env._(
                    "Lifecycle stage pinned to %(stage)s in %(company)s until "
                    "%(date)s. Reason: %(reason)s",
                    stage=label,
                    company=profile.company_id.name,
                    date=until,
                    reason=reason,
                )
            else:
                body = self.env._(
                    "Lifecycle stage pinned to %(stage)s in %(company)s until "
                    "unpinned. Reason: %(reason)s",
                    stage=label,
                    company=profile.company_id.name,
                    reason=reason,
                )
            profile.partner_id.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _unpin(self):
        """Release the pin and let the rules decide again."""
        pinned = self.filtered("is_pinned")
        if not pinned:
            return
        pinned.write(
            {
                "is_pinned": False,
                "pin_until": False,
                "pin_reason": False,
                "pinned_by_id": False,
            }
        )
        for profile in pinned:
            profile.partner_id.message_post(
                body=self.env._(
                    "Lifecycle stage unpinned in %(company)s: the rules apply again.",
                    company=profile.company_id.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        self._refresh_partners(pinned.partner_id.ids)

    # ------------------------------------------------------------------
    # Campaigns from the list (segments, stages, value classes)
    # ------------------------------------------------------------------

    def action_lifecycle_email_campaign(self):
        ensure_existing(self)
        return self.partner_id.action_lifecycle_email_campaign()

    def action_lifecycle_sms_campaign(self):
        ensure_existing(self)
        return self.partner_id.action_lifecycle_sms_campaign()

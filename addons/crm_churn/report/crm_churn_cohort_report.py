from odoo import api, fields, models, tools
from odoo.tools import SQL

# Cohorts from this many months back up to the current one, so that the oldest
# cohort is followed over its first two years (offsets 0 to 24).
COHORT_MONTHS = 24


class CrmChurnCohortReport(models.Model):
    """Share of each cohort of first buyers still buying months later.

    Read from purchases (confirmed orders and the other channels' purchases:
    direct invoices, the till) rather than from the lifecycle stages, so that
    retention can be checked against the stage rules instead of repeating them.
    Customers are commercial entities: orders of contacts and addresses count
    for their company, as in the lifecycle.
    """

    _name = "crm.churn.cohort.report"
    _description = "Retention by Cohort"
    _auto = False
    _order = "cohort desc, months_after"
    _rec_name = "cohort"

    company_id = fields.Many2one("res.company", readonly=True)
    cohort = fields.Date(readonly=True, help="Month of the customer's first purchase.")
    months_after = fields.Integer(
        "Months after first order", readonly=True, aggregator=None
    )
    period = fields.Selection(
        "_selection_period",
        "Month",
        readonly=True,
        help="Month 0 is the month of the first order, month 1 the next one...",
    )
    cohort_size = fields.Integer(
        readonly=True,
        aggregator="max",
        help="Customers whose first purchase falls in the cohort month.",
    )
    active_customers = fields.Integer(
        readonly=True,
        aggregator="sum",
        help="Customers of the cohort who bought in that month.",
    )
    retention_rate = fields.Float(
        "Retention (%)",
        readonly=True,
        aggregator="avg",
        help="Active customers per hundred customers of the cohort.",
    )

    @api.model
    def _selection_period(self):
        """The months after the first order as the columns of the table read
        them ("Month 1", not "1"); the keys sort in that order."""
        _ = self.env._
        return [("00", _("Month 0 (first order)"))] + [
            (f"{months:02d}", _("Month %(months)s", months=months))
            for months in range(1, COHORT_MONTHS + 1)
        ]

    def _read_group_format_result(self, rows_dict, lazy_groupby):
        """Cohorts by month read with their size: "March 2025 (42
        customers)". The size is the cohort's whatever months are shown, so
        it is read apart, in one query for all the groups."""
        key = next((g for g in lazy_groupby if g in ("cohort", "cohort:month")), None)
        months = [row[key] for row in rows_dict] if key else []
        domain = rows_dict[0]["__domain"] if rows_dict else []
        super()._read_group_format_result(rows_dict, lazy_groupby)
        if not any(months):
            return
        sizes = {}
        for month, _company, size in self._read_group(
            domain, ["cohort:month", "company_id"], ["cohort_size:max"]
        ):
            sizes[month] = sizes.get(month, 0) + (size or 0)
        _ = self.env._
        for row, month in zip(rows_dict, months, strict=True):
            if not month:
                continue
            count = sizes.get(month, 0)
            if count == 1:
                row[key] = _("%(cohort)s (1 customer)", cohort=row[key])
            else:
                row[key] = _(
                    "%(cohort)s (%(count)s customers)", cohort=row[key], count=count
                )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # After the purchase view it reads (built once every model has its
        # columns, crm.lifecycle.profile.init).
        self.pool.post_init(self._create_view)

    def _create_view(self):
        # The view it reads, in case only this addon is being updated.
        self.env["crm.lifecycle.profile"]._create_purchase_view()
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(view)s AS (
                    WITH bounds AS (
                        SELECT date_trunc('month', CURRENT_DATE::timestamp)::date
                                   AS last_month,
                               (date_trunc('month', CURRENT_DATE::timestamp)
                                - make_interval(months => %(back)s))::date
                                   AS first_cohort
                    ), buying AS (
                        -- Purchases of every channel: sale orders, direct
                        -- invoices, the till (crm_lifecycle_purchase).
                        SELECT DISTINCT company_id, partner_id,
                               date_trunc('month', day)::date AS month
                          FROM crm_lifecycle_purchase
                    ), firsts AS (
                        -- Over all orders: a cohort holds first buyers only.
                        SELECT buying.company_id, buying.partner_id,
                               MIN(buying.month) AS cohort
                          FROM buying
                         GROUP BY buying.company_id, buying.partner_id
                    ), members AS (
                        SELECT firsts.*
                          FROM firsts
                          JOIN bounds ON firsts.cohort >= bounds.first_cohort
                    ), cohorts AS (
                        SELECT company_id, cohort, COUNT(*) AS cohort_size
                          FROM members
                         GROUP BY company_id, cohort
                    ), activity AS (
                        SELECT m.company_id, m.cohort,
                               ((EXTRACT(YEAR FROM b.month)
                                 - EXTRACT(YEAR FROM m.cohort)) * 12
                                + EXTRACT(MONTH FROM b.month)
                                - EXTRACT(MONTH FROM m.cohort))::int AS months_after,
                               COUNT(*) AS active_customers
                          FROM members m
                          JOIN buying b
                            ON b.company_id = m.company_id
                           AND b.partner_id = m.partner_id
                         GROUP BY 1, 2, 3
                    )
                    SELECT row_number() OVER (
                               ORDER BY c.company_id, c.cohort, offsets.months_after
                           ) AS id,
                           c.company_id, c.cohort, offsets.months_after,
                           lpad(offsets.months_after::text, 2, '0')::varchar
                               AS period,
                           c.cohort_size,
                           COALESCE(a.active_customers, 0) AS active_customers,
                           (100.0 * COALESCE(a.active_customers, 0)
                            / c.cohort_size)::double precision AS retention_rate
                      FROM cohorts c
                     CROSS JOIN bounds
                     CROSS JOIN LATERAL generate_series(0, %(back)s)
                           AS offsets(months_after)
                      LEFT JOIN activity a
                        ON a.company_id = c.company_id AND a.cohort = c.cohort
                       AND a.months_after = offsets.months_after
                     WHERE c.cohort + make_interval(months => offsets.months_after)
                           <= bounds.last_month
                )
                """,
                view=SQL.identifier(self._table),
                back=COHORT_MONTHS,
            )
        )

"""The whole nightly run at scale, step by step, against the SQL floor.

    python3 tests/benchmarks/bench_nightly.py --db <database> \\
        --addons-path <addons path> [--batch-size 5000] [--refit] [--audit]

Run it on a scratch database with the suite installed and filled by
``tests/generator.py``. Vacuums the tables a night writes, as they would be
a day after the last night (``benchlib.settle``, not timed), then runs
in-process what the crons run, committing after every call as ``ir.cron``
does: the lifecycle run (the refit of each stale purchase model, the RFM cut
points, then batches of profiles), the churn warning (scores, then alerts),
the loyalty expiry (batches of lapsed lots), the tier review and the loyalty
messages; with ``--audit``, then the weekly ledger audit (slices of cards),
outside the night's figures. Prints, per step, the wall time, the slowest
batch, the SQL queries and the memory growth; then the time of one
hand-written SQL statement doing the lifecycle step's work (the floor,
``floor_statement``) and the ratio, and of the aggregate alone. The last line
holds the figures as JSON for ``run_all.py``.
"""

import argparse
import cProfile
import pstats
import time
from datetime import date, timedelta

from benchlib import Meter, emit, odoo_env, phase_times, rss_mib, settle

# The aggregate alone, what the reports before December 2026 called the
# floor: it reads what the step reads, but writes nothing and leaves out the
# per-day facts, the credit notes and the stage rules.
AGGREGATE_FLOOR = """
CREATE TEMP TABLE floor_profile ON COMMIT DROP AS
WITH facts AS (
    SELECT p.commercial_partner_id AS partner_id, so.company_id,
           COUNT(*) AS orders, MIN(so.date_order) AS first_order,
           MAX(so.date_order) AS last_order,
           SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS revenue
      FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
     WHERE so.state = 'sale'
     GROUP BY 1, 2
)
SELECT partner_id, company_id, orders, first_order, last_order, revenue,
       ntile(5) OVER (PARTITION BY company_id ORDER BY last_order) AS r,
       ntile(5) OVER (PARTITION BY company_id ORDER BY orders) AS f,
       ntile(5) OVER (PARTITION BY company_id ORDER BY revenue) AS m
  FROM facts
"""


def floor_statement(env, as_of, returning=None):
    """The lifecycle step's work as one hand-written statement: the floor.

    The step's own facts statement, then in SQL the stage rules with each
    company's thresholds, the R, F and M quintiles by ``ntile(5)`` over the
    customers who bought in the analysis window, the segment grid, the value
    class and the averages, written over every customer's profile (pinned
    stages kept), as the step writes them. It leaves out what one statement
    cannot do or need not: the BG/NBD and Gamma-Gamma predictions, change
    detection (it writes every row), the two histories and the partner mirror;
    so it is a lower bound of the step's work.
    """
    from odoo.tools import SQL

    from odoo.addons.crm_lifecycle.tools import rfm, stages

    Profile = env["crm.lifecycle.profile"]
    grid = SQL(", ").join(
        SQL("(%s, %s, %s)", r, fm, segment)
        for r, row in rfm.SEGMENT_GRID.items()
        for fm, segment in enumerate(row, start=1)
    )
    return SQL(
        """
        WITH facts (%(keys)s) AS (%(facts)s),
        grid (r, fm, segment) AS (VALUES %(grid)s),
        measured AS (
            SELECT f.*, c.lifecycle_churned_days AS churned_days,
                   c.lifecycle_dormant_days AS dormant_days,
                   c.lifecycle_won_back_days AS won_back_days,
                   c.lifecycle_new_days AS new_days,
                   c.lifecycle_at_risk_factor AS at_risk_factor,
                   c.lifecycle_loyal_min_orders AS loyal_min_orders,
                   c.lifecycle_loyal_min_days AS loyal_min_days,
                   %(as_of)s::date - f.last_day AS silent,
                   %(as_of)s::date - f.first_day AS tenure,
                   (f.last_day - f.first_day)::float8
                       / NULLIF(f.purchase_days - 1, 0) AS gap,
                   GREATEST(f.revenue + f.refunded, 0) AS net,
                   GREATEST(f.window_revenue + f.window_refunded, 0) AS monetary,
                   f.window_orders > 0 AS in_window
              FROM facts f
              JOIN res_company c ON c.id = f.company_id
        ), scored AS (
            SELECT m.*,
                   CASE WHEN m.in_window THEN ntile(5) OVER (
                       PARTITION BY m.company_id, m.in_window
                       ORDER BY m.window_last_day) END AS r,
                   CASE WHEN m.in_window THEN ntile(5) OVER (
                       PARTITION BY m.company_id, m.in_window
                       ORDER BY m.window_orders) END AS f,
                   CASE WHEN m.in_window THEN ntile(5) OVER (
                       PARTITION BY m.company_id, m.in_window
                       ORDER BY m.monetary) END AS m,
                   CASE
                       WHEN m.order_count = 0 THEN 'prospect'
                       WHEN m.silent >= m.churned_days THEN 'churned'
                       WHEN m.silent >= m.dormant_days THEN 'dormant'
                       WHEN %(as_of)s::date - m.return_day <= m.won_back_days
                           THEN 'won_back'
                       WHEN m.tenure <= m.new_days THEN 'new'
                       WHEN m.silent > CASE
                           WHEN m.gap IS NULL THEN m.at_risk_factor * m.new_days
                           -- stages.at_risk_after: the customer's own margin
                           ELSE GREATEST(
                               m.at_risk_factor * m.gap,
                               m.gap + GREATEST(
                                   %(sd)s * COALESCE(m.gap_sd, 0), %(margin)s
                               )
                           )
                       END
                           THEN 'at_risk'
                       WHEN m.order_count >= m.loyal_min_orders
                            AND m.tenure >= m.loyal_min_days THEN 'loyal'
                       WHEN m.purchase_days >= 2 THEN 'active'
                       ELSE 'new'
                   END AS stage
              FROM measured m
        ), classed AS (
            SELECT s.*, g.segment,
                   CASE
                       WHEN s.stage = 'prospect' THEN NULL
                       WHEN s.stage IN ('dormant', 'churned') THEN 'lost'
                       WHEN s.m = 5 THEN 'high_value'
                       WHEN s.stage IN ('new', 'won_back')
                            OR g.segment IN ('new', 'promising', 'potential_loyalist')
                           THEN 'potential'
                       ELSE 'regular'
                   END AS value_class
              FROM scored s
              LEFT JOIN grid g ON g.r = s.r AND g.fm = (s.f + s.m + 1) / 2
        )
        UPDATE crm_lifecycle_profile pr
           SET computed_stage = c.stage,
               stage = CASE WHEN pr.is_pinned THEN pr.stage ELSE c.stage END,
               order_count = c.order_count, purchase_days = c.purchase_days,
               first_order_date = c.first_day, last_order_date = c.last_day,
               return_date = c.return_day,
               avg_order_value = round((c.net / NULLIF(c.order_count, 0))::numeric, 2),
               avg_days_between_orders = round(c.gap::numeric, 1),
               expected_next_order_date = c.last_day + round(c.gap)::int,
               historic_clv = round(c.net::numeric, 2),
               rfm_recency_days = %(as_of)s::date - c.window_last_day,
               rfm_frequency = CASE WHEN c.in_window THEN c.window_orders END,
               rfm_monetary = CASE WHEN c.in_window
                                   THEN round(c.monetary::numeric, 2) END,
               rfm_r = c.r, rfm_f = c.f, rfm_m = c.m,
               rfm_segment = c.segment, value_class = c.value_class,
               computed_on = %(as_of)s,
               write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
          FROM classed c
         WHERE pr.partner_id = c.partner_id AND pr.company_id = c.company_id
        %(returning)s
        """,
        returning=SQL("RETURNING %s", returning) if returning else SQL(),
        keys=SQL(", ").join(map(SQL.identifier, Profile._FACT_KEYS)),
        facts=Profile._facts_query(as_of),
        grid=grid,
        sd=stages.AT_RISK_SD,
        margin=stages.AT_RISK_MIN_MARGIN_DAYS,
        as_of=as_of,
        uid=env.uid,
    )


def churn_floor_statement(env, as_of, returning=None):
    """The churn step's scoring as one hand-written statement: its floor.

    Every scored customer's facts read for everyone at once (the profile,
    orders of the two churn periods and of the year, credit notes, open
    lots, ledger entries), the signals' strengths and the weighted score in
    SQL, the level by each company's thresholds, written with the strengths
    over every score row. It leaves out the rating and tier signals (no
    generated data has them), the reasons, the score's 30-day change, the
    history, the partner mirror and the alerts: a lower bound again.

    Its reads repeat those of ``crm.churn.risk._gather_query`` on purpose:
    the step's statement is shaped for a batch (its ids walk the indexes),
    the floor's for everyone at once (plain joins and hash aggregates).
    """
    from dateutil.relativedelta import relativedelta

    from odoo.tools import SQL

    from odoo.addons.crm_churn.tools import scoring

    companies = env["res.company"].sudo().search([])
    weights = env["crm.churn.signal"]._weights()

    def clamp(expr):
        return SQL("GREATEST(0.0, LEAST(1.0, %s))", expr)

    def when(condition, value):
        """A signal's strength, clamped; NULL where it does not apply."""
        return SQL("CASE WHEN %s THEN %s END", SQL(condition), clamp(SQL(value)))

    def risk(column, table):
        return SQL(
            "CASE %s %s END",
            SQL(column),
            SQL(" ").join(
                SQL("WHEN %s THEN %s", key, float(value))
                for key, value in table.items()
            ),
        )

    alive = clamp(SQL("f.prob_alive"))
    strengths = {
        "prob_alive": SQL(
            "CASE WHEN f.prob_alive IS NOT NULL THEN 1.0 - %s END", alive
        ),
        "no_purchase_90": SQL(
            """CASE WHEN f.prob_alive IS NOT NULL
                         AND f.expected_purchases_90 IS NOT NULL THEN
                    CASE WHEN %(alive)s <= 0 THEN 1.0
                         ELSE %(value)s END END""",
            alive=alive,
            value=clamp(
                SQL(
                    "(1.0 - %(a)s) + %(a)s * exp(GREATEST(-700.0,"
                    " -GREATEST(f.expected_purchases_90, 0.0) / %(a)s))",
                    a=alive,
                )
            ),
        ),
        "few_purchases_90": SQL(
            "CASE WHEN f.expected_purchases_90 IS NOT NULL THEN"
            " exp(GREATEST(-700.0, -GREATEST(f.expected_purchases_90, 0.0))) END"
        ),
        "overdue": when(
            "f.purchase_days >= 2 AND f.gap > 0 AND f.days IS NOT NULL",
            "(f.days / f.gap - 1.0) / 2.0",
        ),
        "frequency_drop": when(
            "f.previous_orders > 0", "1.0 - f.recent_orders::float8 / f.previous_orders"
        ),
        "spending_drop": when(
            "f.previous_revenue > 0", "1.0 - f.recent_revenue / f.previous_revenue"
        ),
        "stage": risk("f.stage", scoring.STAGE_RISK),
        "segment": risk("f.rfm_segment", scoring.SEGMENT_RISK),
        "cancellations": when(
            "f.orders_12m + f.cancellations > 0",
            "2.0 * f.cancellations / (f.orders_12m + f.cancellations)",
        ),
        "points_expiring": when("f.balance > 0", "f.expiring / f.balance"),
        "no_redemption": when(
            "f.balance > 0 AND f.since IS NOT NULL", "(f.since - f.half) / f.half"
        ),
    }
    # Every strength is written, as the step writes them (a signal of
    # weight 0 too: the backtest reads it); the weighted ones make the score.
    every = list(strengths.items())
    used = [
        (code, expr, max(float(weights.get(code, 0.0)), 0.0))
        for code, expr in every
        if weights.get(code, 0.0) > 0
    ]
    year_start = as_of - timedelta(days=365)
    return SQL(
        """
        WITH cfg AS (
            SELECT *
              FROM unnest(%(companies)s::int[], %(recent)s::date[],
                          %(previous)s::date[], %(expiring)s::date[],
                          %(half)s::float8[], %(medium)s::float8[],
                          %(high)s::float8[], %(critical)s::float8[])
                   AS c(company_id, recent_start, previous_start, expiring_until,
                        half, medium, high, critical)
        ), orders AS (
            SELECT p.commercial_partner_id AS partner_id, so.company_id,
                   COUNT(*) FILTER (WHERE so.state = 'sale'
                                      AND so.date_order >= c.recent_start)
                       AS recent_orders,
                   COUNT(*) FILTER (WHERE so.state = 'sale'
                                      AND so.date_order >= c.previous_start
                                      AND so.date_order < c.recent_start)
                       AS previous_orders,
                   SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1))
                       FILTER (WHERE so.state = 'sale'
                                 AND so.date_order >= c.recent_start)
                       AS recent_revenue,
                   SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1))
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
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
              JOIN cfg c ON c.company_id = so.company_id
             WHERE so.date_order >= LEAST(c.previous_start, %(year_start)s)
               AND so.date_order < %(until)s
             GROUP BY 1, 2
        ), refunds AS (
            SELECT m.commercial_partner_id AS partner_id, m.company_id,
                   COUNT(*) AS refunds_12m
              FROM account_move m
             WHERE m.move_type = 'out_refund' AND m.state = 'posted'
               AND m.invoice_date >= %(year_start)s AND m.invoice_date < %(until)s
             GROUP BY 1, 2
        ), lots AS (
            SELECT p.commercial_partner_id AS partner_id, l.company_id,
                   SUM(l.remaining) AS balance,
                   SUM(l.remaining) FILTER (WHERE l.expiry_date <= c.expiring_until)
                       AS expiring
              FROM crm_loyalty_lot l
              JOIN res_partner p ON p.id = l.partner_id
              JOIN cfg c ON c.company_id = l.company_id
             WHERE l.remaining > 0
             GROUP BY 1, 2
        ), entries AS (
            SELECT p.commercial_partner_id AS partner_id, e.company_id,
                   MAX(e.date) FILTER (WHERE e.entry_type = 'redeem') AS last_redeem,
                   MIN(e.date) AS first_entry
              FROM crm_loyalty_entry e
              JOIN res_partner p ON p.id = e.partner_id
             GROUP BY 1, 2
        ), f AS (
            SELECT pr.partner_id, pr.company_id, pr.stage, pr.rfm_segment,
                   pr.prob_alive, pr.expected_purchases_90, pr.purchase_days,
                   (%(as_of)s::date - pr.last_order_date)::float8 AS days,
                   pr.avg_days_between_orders AS gap,
                   COALESCE(o.recent_orders, 0) AS recent_orders,
                   COALESCE(o.previous_orders, 0) AS previous_orders,
                   COALESCE(o.recent_revenue, 0)::float8 AS recent_revenue,
                   COALESCE(o.previous_revenue, 0)::float8 AS previous_revenue,
                   COALESCE(o.orders_12m, 0) AS orders_12m,
                   COALESCE(o.cancelled_12m, 0) + COALESCE(rf.refunds_12m, 0)
                       AS cancellations,
                   COALESCE(l.balance, 0)::float8 AS balance,
                   COALESCE(l.expiring, 0)::float8 AS expiring,
                   (%(as_of)s::date - COALESCE(e.last_redeem, e.first_entry)::date)
                       ::float8 AS since,
                   c.half, c.medium, c.high, c.critical
              FROM crm_lifecycle_profile pr
              JOIN cfg c ON c.company_id = pr.company_id
              LEFT JOIN orders o
                ON o.partner_id = pr.partner_id AND o.company_id = pr.company_id
              LEFT JOIN refunds rf
                ON rf.partner_id = pr.partner_id AND rf.company_id = pr.company_id
              LEFT JOIN lots l
                ON l.partner_id = pr.partner_id AND l.company_id = pr.company_id
              LEFT JOIN entries e
                ON e.partner_id = pr.partner_id AND e.company_id = pr.company_id
             WHERE pr.order_count > 0
        ), strengths AS MATERIALIZED (
            -- Materialized, as the score below: inlined, each strength
            -- would be computed again wherever it is named.
            SELECT f.partner_id, f.company_id, f.medium, f.high, f.critical,
                   %(columns)s
              FROM f
        ), scored AS MATERIALIZED (
            SELECT s.*,
                   CASE WHEN %(weight)s > 0
                        THEN round(100.0 * (%(total)s) / (%(weight)s)) ELSE 0
                   END AS score
              FROM strengths s
        )
        UPDATE crm_churn_risk r
           SET score = s.score,
               level = CASE WHEN s.score >= s.critical THEN 'critical'
                            WHEN s.score >= s.high THEN 'high'
                            WHEN s.score >= s.medium THEN 'medium'
                            ELSE 'low' END,
               strengths = jsonb_strip_nulls(jsonb_build_object(%(json)s)),
               scored_on = %(as_of)s,
               write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
          FROM scored s
         WHERE r.partner_id = s.partner_id AND r.company_id = s.company_id
        %(returning)s
        """,
        companies=companies.ids,
        recent=[as_of - relativedelta(months=c.churn_period_months) for c in companies],
        previous=[
            as_of - relativedelta(months=2 * c.churn_period_months) for c in companies
        ],
        expiring=[
            as_of + timedelta(days=c.churn_expiry_warning_days) for c in companies
        ],
        half=[(c.churn_redemption_days or 365) / 2.0 for c in companies],
        medium=[float(c.churn_medium_threshold) for c in companies],
        high=[float(c.churn_high_threshold) for c in companies],
        critical=[float(c.churn_critical_threshold) for c in companies],
        year_start=year_start,
        until=as_of + timedelta(days=1),
        as_of=as_of,
        columns=SQL(", ").join(
            SQL("%s AS %s", expr, SQL.identifier(f"s_{code}")) for code, expr in every
        ),
        total=SQL(" + ").join(
            SQL("COALESCE(%s * s.%s, 0)", weight, SQL.identifier(f"s_{code}"))
            for code, _expr, weight in used
        ),
        weight=SQL(" + ").join(
            SQL(
                "CASE WHEN s.%s IS NOT NULL THEN %s ELSE 0 END",
                SQL.identifier(f"s_{code}"),
                weight,
            )
            for code, _expr, weight in used
        ),
        json=SQL(", ").join(
            SQL(
                "%s, round(s.%s::numeric, 3)",
                code,
                SQL.identifier(f"s_{code}"),
            )
            for code, _expr in every
        ),
        uid=env.uid,
        returning=SQL("RETURNING %s", returning) if returning else SQL(),
    )


def floor_agreement(env, as_of):
    """How far the floor does the step's work: the share of profiles to which
    it writes the stage and the segment the step wrote (rolled back). In a
    statement whose WITH part updates a table, the main query still reads
    that table as it was: here, as the step left it."""
    from odoo.tools import SQL

    cr = env.cr
    cr.execute(
        SQL(
            """
            WITH floor AS (%s)
            SELECT COUNT(*),
                   COUNT(*) FILTER (WHERE f.stage = o.stage),
                   COUNT(*) FILTER (
                       WHERE f.rfm_segment IS NOT DISTINCT FROM o.rfm_segment)
              FROM floor f
              JOIN crm_lifecycle_profile o ON o.id = f.id
            """,
            floor_statement(env, as_of, SQL("pr.id, pr.stage, pr.rfm_segment")),
        )
    )
    rows, same_stage, same_segment = cr.fetchone()
    cr.execute(
        SQL(
            """
            WITH floor AS (%s)
            SELECT COUNT(*), COUNT(*) FILTER (WHERE f.score = o.score),
                   COUNT(*) FILTER (WHERE f.level = o.level)
              FROM floor f
              JOIN crm_churn_risk o ON o.id = f.id
            """,
            churn_floor_statement(env, as_of, SQL("r.id, r.score, r.level")),
        )
    )
    scores, same_score, same_level = cr.fetchone()
    cr.rollback()
    return {
        "stage": same_stage / rows if rows else 1.0,
        "segment": same_segment / rows if rows else 1.0,
        "score": same_score / scores if scores else 1.0,
        "level": same_level / scores if scores else 1.0,
    }


def statement_seconds(cr, query):
    """The time of one statement and the rows it wrote, rolled back: what it
    wrote is not kept. Without JIT compilation: on the churn floor it spent
    longer compiling the statement than running it, and a floor is timed at
    its best."""
    cr.execute("SET LOCAL jit = off")
    tick = time.perf_counter()
    cr.execute(query)
    seconds = time.perf_counter() - tick
    rows = cr.rowcount
    cr.rollback()
    return seconds, rows


def profile_of(call, top=8):
    """Run ``call`` under cProfile; the suite's own functions that took the
    most time (cumulative, seconds), so a reader sees which step dominates."""
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = sum(tt for _cc, _nc, tt, _ct, _callers in stats.values())
    rows = [
        (f"{path.split('/addons/')[-1]}:{name}", cumulative)
        for (path, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.items()
        if "/work/" in path or "/crm_" in path
    ]
    rows = [row for row in rows if "/crm_" in row[0] or row[0].startswith("crm_")]
    rows.sort(key=lambda row: -row[1])
    return {"total": total, "top": rows[:top]}


def batches(cr, step):
    """Call ``step()`` until it reports no more work, committing after each
    call as ir.cron does; returns the duration of every call."""
    durations = []
    while True:
        tick = time.perf_counter()
        more = step()
        cr.commit()  # as ir.cron does after every batch
        durations.append(time.perf_counter() - tick)
        if not more:
            return durations


def bench_run(env, model, as_of, batch_size, profile=False, before=None):
    """The run of ``model`` (a crm.lifecycle.run or crm.churn.run) dated
    ``as_of``, from creation (its preparation) to its last batch, as the
    cron drives it."""
    cr = env.cr
    Run = env[model]
    Run.search([("state", "=", "running")]).write({"state": "done"})
    Run.search([("as_of", "=", as_of)]).unlink()
    if before:
        before()
    cr.commit()
    profiled = {}
    with Meter(cr) as meter:
        refits = []
        if model == "crm.lifecycle.run":
            # As _cron_nightly does: each stale purchase model is refit in a
            # call of its own before the run is created.
            while True:
                tick = time.perf_counter()
                done = Run._refit_stale_models(as_of, limit=1)
                cr.commit()
                if not done:
                    break
                refits.append(time.perf_counter() - tick)
        tick = time.perf_counter()
        run = Run.create({"as_of": as_of})
        cr.commit()
        prepare = time.perf_counter() - tick

        def step():
            if profile and not profiled:
                profiled.update(profile_of(lambda: run._process_batch(batch_size)))
            else:
                run._process_batch(batch_size)
            return run.state == "running"

        durations = batches(cr, step)
    return run, {
        "profile": profiled,
        "seconds": meter.seconds,
        "prepare": prepare,
        "refits": refits,
        "batches": len(durations),
        # The cron's refit calls and the call that prepares the run are
        # batches of their own.
        "slowest_batch": max([*refits, prepare, *durations]),
        "queries": meter.queries,
        "memory_growth": meter.memory_growth,
    }


def bench_lifecycle(env, as_of, batch_size, refit, profile=False):
    def force_refit():
        env["crm.purchase.model"].search([]).write({"fit_date": "2000-01-01"})

    with phase_times(env, "lifecycle") as spent:
        run, figures = bench_run(
            env,
            "crm.lifecycle.run",
            as_of,
            batch_size,
            profile,
            force_refit if refit else None,
        )
    return {**figures, "written": run.rows_written, "phases": phases_of(spent)}


def phases_of(spent):
    """The lifecycle step's seconds by what they were spent on. Computing
    is what the batches' profile refresh spent outside its reads and
    writes: the Python of ``tools/profile.py`` and change detection."""
    prefix = "crm.lifecycle.profile."
    refresh = spent.get(prefix + "_refresh_partners", 0.0)
    phases = {
        "facts": spent.get(prefix + "_fetch_facts", 0.0),
        "write": spent.get(prefix + "_write_rows", 0.0)
        + spent.get(prefix + "_delete_rows", 0.0),
        "histories": spent.get("crm.lifecycle.stage.history._record_moves", 0.0)
        + spent.get("crm.rfm.segment.history._record_moves", 0.0),
        # From the orders (first night) or the stored profiles (the others).
        "cuts": spent.get(prefix + "_population_cuts", 0.0)
        + spent.get(prefix + "_stored_cuts", 0.0),
    }
    phases["compute"] = max(
        refresh - phases["facts"] - phases["write"] - phases["histories"], 0.0
    )
    return phases


def bench_churn(env, as_of, batch_size, profile=False):
    run, figures = bench_run(env, "crm.churn.run", as_of, batch_size, profile)
    return {
        **figures,
        "written": run.rows_written,
        "alerts": run.alerts_created,
        "deferred": run.alerts_deferred,
    }


def bench_expiry(env, batch_size):
    cr = env.cr
    Entry = env["crm.loyalty.entry"]
    expired = []
    with Meter(cr) as meter:

        def step():
            expired.append(Entry._cron_expire(limit=batch_size))
            return expired[-1] > 0

        durations = batches(cr, step)
    return {**batched(meter, durations), "expired": sum(expired)}


def bench_audit(env):
    """The weekly ledger audit as the cron drives it: slices of cards until
    every card was checked. Not part of the night."""
    cr = env.cr
    Entry = env["crm.loyalty.entry"]
    params = env["ir.config_parameter"]
    params.set_param("crm_loyalty.reconcile_next_card", 0)
    cr.commit()
    differ = []
    with Meter(cr) as meter:

        def step():
            differ.extend(Entry._cron_reconcile())
            return params.get_param("crm_loyalty.reconcile_next_card") != "0"

        durations = batches(cr, step)
    if differ:
        raise SystemExit(f"the ledger does not reconcile: {len(differ)} cards")
    return batched(meter, durations)


def batched(meter, durations):
    """Figures of a step that ran as several cron calls."""
    return {
        "seconds": meter.seconds,
        "batches": len(durations),
        "slowest_batch": max(durations),
        "queries": meter.queries,
        "memory_growth": meter.memory_growth,
    }


def bench_simple(env, call):
    with Meter(env.cr) as meter:
        result = call()
        env.cr.commit()
    return {
        "seconds": meter.seconds,
        "queries": meter.queries,
        "memory_growth": meter.memory_growth,
        "result": result,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument(
        "--days-ago",
        type=int,
        default=0,
        help="date the lifecycle and churn runs this many days before today: "
        "run_all dates the first night yesterday, so that the usual night is "
        "the next day's, when every customer is a day older",
    )
    parser.add_argument(
        "--refit",
        action="store_true",
        help="force the weekly purchase-model refit (new predictions for everyone)",
    )
    parser.add_argument(
        "--audit",
        action="store_true",
        help="also time the weekly ledger audit (outside the night's figures)",
    )
    parser.add_argument(
        "--floor-agreement",
        action="store_true",
        help="also check how many profiles the floor gives the step's stage "
        "and segment (one more run of the floor statement)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the first lifecycle and churn batches (slower)",
    )
    args = parser.parse_args()
    as_of = date.today() - timedelta(days=args.days_ago)
    settled = settle(args.db)
    print(f"vacuumed the tables a night writes in {settled:.1f} s (not timed)")
    with odoo_env(args.db, args.addons_path) as env:
        cr = env.cr
        cr.execute("SELECT COUNT(*) FROM sale_order")
        orders = cr.fetchone()[0]
        cr.execute("SELECT COUNT(*) FROM res_partner WHERE id = commercial_partner_id")
        partners = cr.fetchone()[0]
        cr.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE remaining > 0)"
            " FROM crm_loyalty_lot"
        )
        lots, open_lots = cr.fetchone()
        print(f"{partners} commercial partners, {orders} orders, {lots} lots")
        figures = {
            "customers": partners,
            "orders": orders,
            "lots": lots,
            "open_lots": open_lots,
            "rss_start": rss_mib(),
            "settle": settled,
        }
        steps = figures["steps"] = {}
        steps["lifecycle"] = life = bench_lifecycle(
            env, as_of, args.batch_size, args.refit, args.profile
        )
        print(
            f"lifecycle: {life['seconds']:.1f} s (refits "
            f"{[round(t, 1) for t in life['refits']]} s, "
            f"prepare {life['prepare']:.1f} s, "
            f"{life['batches']} batches, slowest {life['slowest_batch']:.2f} s), "
            f"{life['queries']} queries, {life['written']} profiles written"
        )
        if "crm.churn.run" in env:
            steps["churn"] = churn = bench_churn(
                env, as_of, args.batch_size, args.profile
            )
            print(
                f"churn: {churn['seconds']:.1f} s ({churn['batches']} batches, "
                f"slowest {churn['slowest_batch']:.2f} s), {churn['queries']} "
                f"queries, {churn['written']} scores written, {churn['alerts']} "
                f"alerts, {churn['deferred']} deferred"
            )
        steps["expiry"] = expiry = bench_expiry(env, args.batch_size)
        print(
            f"expiry: {expiry['seconds']:.1f} s, {expiry['expired']} lots expired "
            f"({expiry['batches']} batches, slowest {expiry['slowest_batch']:.2f} s)"
        )
        Tier = env["crm.loyalty.tier"]
        steps["requalify"] = bench_simple(env, lambda: Tier._cron_requalify() or 0)
        steps["messages"] = bench_simple(
            env, lambda: env["loyalty.card"]._cron_crm_loyalty_messages() or 0
        )
        for name in ("requalify", "messages"):
            print(f"{name}: {steps[name]['seconds']:.1f} s")
        figures["seconds"] = sum(step["seconds"] for step in steps.values())
        figures["queries"] = sum(step["queries"] for step in steps.values())
        figures["slowest_batch"] = max(
            step.get("slowest_batch", step["seconds"]) for step in steps.values()
        )
        if args.audit:
            figures["audit"] = audit = bench_audit(env)
            print(
                f"weekly ledger audit: {audit['seconds']:.1f} s, "
                f"{audit['batches']} calls, slowest {audit['slowest_batch']:.2f} s"
            )
        elif env["crm.loyalty.entry"]._reconcile():
            raise SystemExit("the ledger does not reconcile after the run")
        figures["peak_rss"] = rss_mib()
        figures["floor"], figures["floor_rows"] = statement_seconds(
            cr, floor_statement(env, as_of)
        )
        figures["ratio"] = life["seconds"] / figures["floor"]
        figures["churn_floor"], figures["churn_floor_rows"] = statement_seconds(
            cr, churn_floor_statement(env, as_of)
        )
        figures["churn_ratio"] = steps["churn"]["seconds"] / figures["churn_floor"]
        # The whole night against both floors: expiry, tiers and messages
        # have none (they are a small part of the night).
        figures["night_ratio"] = figures["seconds"] / (
            figures["floor"] + figures["churn_floor"]
        )
        if args.floor_agreement:
            figures["floor_agreement"] = agreement = floor_agreement(env, as_of)
            print(
                f"the floor gives the step's stage to {agreement['stage']:.1%} "
                f"of the profiles, its segment to {agreement['segment']:.1%}; "
                f"the churn floor gives its score to {agreement['score']:.1%}, "
                f"its level to {agreement['level']:.1%}"
            )
        figures["aggregate_floor"] = statement_seconds(cr, AGGREGATE_FLOOR)[0]
        figures["aggregate_ratio"] = life["seconds"] / figures["aggregate_floor"]
        # The step's own facts statement for every customer at once, the
        # floor's first part: what the floor's writing adds to it.
        from odoo.tools import SQL  # Odoo is importable once odoo_env ran

        Profile = env["crm.lifecycle.profile"]
        figures["facts_statement"] = statement_seconds(
            cr,
            SQL(
                "CREATE TEMP TABLE floor_facts (%s) ON COMMIT DROP AS %s",
                SQL(", ").join(map(SQL.identifier, Profile._FACT_KEYS)),
                Profile._facts_query(as_of),
            ),
        )[0]
        print(
            f"nightly run: {figures['seconds']:.1f} s, {figures['queries']} queries, "
            f"peak RSS {figures['peak_rss']:.0f} MiB; SQL floor of the lifecycle "
            f"step {figures['floor']:.1f} s ({figures['floor_rows']} profiles "
            f"written), ratio {figures['ratio']:.1f}x; the aggregate alone "
            f"{figures['aggregate_floor']:.1f} s "
            f"({figures['aggregate_ratio']:.1f}x); the step's facts statement "
            f"for everyone {figures['facts_statement']:.1f} s; churn floor "
            f"{figures['churn_floor']:.1f} s ({figures['churn_floor_rows']} scores "
            f"written), ratio {figures['churn_ratio']:.1f}x; the night against "
            f"both floors {figures['night_ratio']:.1f}x"
        )
        print(
            "lifecycle step by phase: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in life["phases"].items())
        )
        emit(figures)


if __name__ == "__main__":
    main()

import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.crm_churn.report.crm_churn_rate_report import BASE_STAGES
from odoo.addons.crm_lifecycle.models.crm_lifecycle_profile import STAGE_SELECTION

from ..tools import kpi

_logger = logging.getLogger(__name__)

STAGES = tuple(key for key, _label in STAGE_SELECTION)
# Windows of the KPIs, in days before the snapshot's day (included).
YEAR = 365
NPS_WINDOW = 90
MOVE_WINDOW = 30
EXPIRY_WINDOW = 90
# Companies per call of the daily cron (one row each: small batches keep a
# failure from undoing the others).
CRON_BATCH = 5
MANAGER_GROUP = "sales_team.group_sale_manager"
# The nightly steps whose stages, profiles and alerts the KPIs read: while
# one of them runs, the daily snapshot waits for it.
WAIT_FOR = ("crm.lifecycle.run", "crm.churn.run")
WAIT_MINUTES = 15


class CrmLifecycleKpi(models.Model):
    """The lifecycle KPIs of one company on one day, as the Customer
    Lifecycle dashboard shows them.

    A snapshot rather than live formulas in the spreadsheet: the figures
    need windows, joins and shares that spreadsheet pivots cannot express
    (a churn base taken a year ago, members against non-members), and a
    stored row gives the KPIs a history and the threshold rules a "before"
    to tell a new crossing from a lasting one. Written by the daily cron or a
    manager's *Compute now*, never edited; the definitions are in
    readme/USAGE.md and tools/kpi.py."""

    _name = "crm.lifecycle.kpi"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Customer Lifecycle KPIs"
    _order = "date desc, company_id"
    _rec_name = "date"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(required=True, readonly=True, index=True)
    is_latest = fields.Boolean(
        "Latest",
        readonly=True,
        index=True,
        help="The company's most recent snapshot: the one the dashboard shows.",
    )
    # Customers per stage at the end of the day, and the change in 30 days.
    count_prospect = fields.Integer("Prospects", readonly=True)
    count_new = fields.Integer("New", readonly=True)
    count_active = fields.Integer("Active", readonly=True)
    count_loyal = fields.Integer("Loyal", readonly=True)
    count_at_risk = fields.Integer("At risk", readonly=True)
    count_dormant = fields.Integer("Dormant", readonly=True)
    count_churned = fields.Integer("Churned", readonly=True)
    count_won_back = fields.Integer("Won back", readonly=True)
    move_prospect = fields.Integer("Prospects (30-day change)", readonly=True)
    move_new = fields.Integer("New (30-day change)", readonly=True)
    move_active = fields.Integer("Active (30-day change)", readonly=True)
    move_loyal = fields.Integer("Loyal (30-day change)", readonly=True)
    move_at_risk = fields.Integer("At risk (30-day change)", readonly=True)
    move_dormant = fields.Integer("Dormant (30-day change)", readonly=True)
    move_churned = fields.Integer("Churned (30-day change)", readonly=True)
    move_won_back = fields.Integer("Won back (30-day change)", readonly=True)
    # Repurchase over 12 months.
    buyer_count = fields.Integer(
        "Buyers (12 months)",
        readonly=True,
        help="Customers with at least one purchase in the last 365 days.",
    )
    repeat_buyer_count = fields.Integer(
        "Repeat buyers (12 months)",
        readonly=True,
        help="Customers with at least two purchases in the last 365 days.",
    )
    repurchase_rate = fields.Float("Repurchase rate (%)", readonly=True)
    # Yearly churn.
    churn_base = fields.Integer(
        "Customers a year ago",
        readonly=True,
        help="Customers in a paying stage (New to Won back, not Churned) 365 days ago.",
    )
    churn_count = fields.Integer("Churned in the year", readonly=True)
    churn_rate = fields.Float("Yearly churn rate (%)", readonly=True)
    churn_base_high_value = fields.Integer(
        "High-value customers a year ago", readonly=True
    )
    churn_count_high_value = fields.Integer(
        "High-value customers churned", readonly=True
    )
    churn_rate_high_value = fields.Float(
        "Yearly churn rate, high value (%)", readonly=True
    )
    # NPS.
    nps = fields.Float("NPS (90 days)", readonly=True)
    nps_answer_count = fields.Integer("NPS answers (90 days)", readonly=True)
    nps_previous = fields.Float("NPS (previous 90 days)", readonly=True)
    nps_previous_answer_count = fields.Integer(
        "NPS answers (previous 90 days)", readonly=True
    )
    nps_trend = fields.Float(
        "NPS trend",
        readonly=True,
        help="NPS of the last 90 days minus that of the 90 days before.",
    )
    # Win-back.
    winback_offer_won = fields.Integer("Won back with offer", readonly=True)
    winback_offer_lost = fields.Integer("Lost with offer", readonly=True)
    winback_rate_offer = fields.Float("Win-back rate with offer (%)", readonly=True)
    winback_control_won = fields.Integer("Won back without offer", readonly=True)
    winback_control_lost = fields.Integer("Lost without offer", readonly=True)
    winback_rate_control = fields.Float(
        "Win-back rate without offer (%)", readonly=True
    )
    # Points liability.
    points_outstanding = fields.Float("Points outstanding", readonly=True)
    points_value = fields.Monetary("Value of the points outstanding", readonly=True)
    points_expiring = fields.Float("Points expiring in 90 days", readonly=True)
    # Members against non-members.
    member_count = fields.Integer("Member buyers (12 months)", readonly=True)
    member_aov = fields.Monetary("Members: average order value", readonly=True)
    member_orders_per_year = fields.Float("Members: orders per year", readonly=True)
    member_retention = fields.Float("Members: retention (%)", readonly=True)
    member_predicted_value = fields.Monetary(
        "Members: predicted value (12 months)", readonly=True
    )
    nonmember_count = fields.Integer("Non-member buyers (12 months)", readonly=True)
    nonmember_aov = fields.Monetary("Non-members: average order value", readonly=True)
    nonmember_orders_per_year = fields.Float(
        "Non-members: orders per year", readonly=True
    )
    nonmember_retention = fields.Float("Non-members: retention (%)", readonly=True)
    nonmember_predicted_value = fields.Monetary(
        "Non-members: predicted value (12 months)", readonly=True
    )
    # The company's lines, beside the figures on the dashboard.
    churn_warning_line = fields.Float(
        related="company_id.lifecycle_kpi_churn_warning", string="Churn warning line"
    )
    repurchase_healthy_line = fields.Float(
        related="company_id.lifecycle_kpi_repurchase_healthy",
        string="Healthy repurchase line",
    )
    nps_good_line = fields.Float(
        related="company_id.lifecycle_kpi_nps_good", string="Good NPS line"
    )
    crossed_rules = fields.Char(
        "Lines crossed",
        readonly=True,
        help="The threshold rules this snapshot's figures cross.",
    )

    _sql_constraints = [
        (
            "company_date_uniq",
            "UNIQUE(company_id, date)",
            "A company has one KPI snapshot per day.",
        ),
    ]

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_compute_now(self):
        """A manager's *Compute now*: today's snapshot of the companies
        selected in the company switcher (the snapshot of the day is
        rewritten, a crossing already told today is not told again)."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._("Only sales managers compute the lifecycle KPIs.")
            )
        today = fields.Date.context_today(self)
        # sudo: managers read the snapshots but never write them; the
        # snapshot is the system's, as when the cron writes it.
        snapshots = self.sudo()._compute_companies(self.env.companies, today)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Lifecycle KPIs computed for %(count)s company(ies).",
                    count=len(snapshots),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------
    # Daily computation
    # ------------------------------------------------------------------

    @api.model
    def _cron_compute(self):
        """Today's snapshot of every company that has none yet, a few
        companies per call (ir.cron progress API: the job commits after
        each call and resumes with the companies left).

        While tonight's lifecycle or churn run is still going, nothing is
        computed: the cron comes back in a quarter of an hour, so that the
        snapshot reads tonight's stages and alerts, not yesterday's."""
        if any(
            self.env[model].search_count([("state", "=", "running")], limit=1)
            for model in WAIT_FOR
        ):
            cron = self.env.ref("crm_lifecycle_dashboard.crm_lifecycle_kpi_cron", False)
            if cron:
                cron._trigger(
                    at=fields.Datetime.now() + timedelta(minutes=WAIT_MINUTES)
                )
            return
        today = fields.Date.context_today(self)
        done = self.search([("date", "=", today)]).company_id
        todo = self.env["res.company"].search([("id", "not in", done.ids)])
        batch = todo[:CRON_BATCH]
        self._compute_companies(batch, today)
        self.env["ir.cron"]._notify_progress(
            done=len(batch), remaining=len(todo) - len(batch)
        )

    @api.model
    def _compute_companies(self, companies, day):
        """Write the snapshot of ``day`` for each company, then tell the
        managers of each line newly crossed. Returns the snapshots."""
        if not companies:
            return self.browse()
        # Raw SQL reads below: pending ORM writes must reach the tables.
        self.env.flush_all()
        snapshots = self.browse()
        for company in companies:
            snapshots |= self._compute_company(company, day)
        return snapshots

    @api.model
    def _compute_company(self, company, day):
        values = self._kpi_values(company, day)
        crossed = kpi.crossed_rules(values, company._lifecycle_kpi_lines())
        vals = {
            key: (0 if value is None else value)
            for key, value in values.items()
            if key in self._fields
        }
        vals["crossed_rules"] = kpi.encode_rules(crossed)
        previous = self.search(
            [("company_id", "=", company.id), ("date", "<", day)],
            order="date desc",
            limit=1,
        )
        snapshot = self.search(
            [("company_id", "=", company.id), ("date", "=", day)], limit=1
        )
        earlier = [kpi.decode_rules(previous.crossed_rules)]
        if snapshot:
            earlier.append(kpi.decode_rules(snapshot.crossed_rules))
            snapshot.write(vals)
        else:
            snapshot = self.create({"company_id": company.id, "date": day, **vals})
        latest = self.search(
            [("company_id", "=", company.id)], order="date desc", limit=1
        )
        self.search(
            [("company_id", "=", company.id), ("is_latest", "=", True)]
        ).filtered(lambda row: row != latest).is_latest = False
        latest.is_latest = True
        new = kpi.newly_crossed(crossed, *earlier)
        if new:
            snapshot._notify_managers(new, values)
        return snapshot

    @api.model
    def _kpi_values(self, company, day):
        """Every KPI of ``company`` on ``day``: key -> figure (None when it
        has no base), with the counts behind each."""
        values = {}
        values.update(self._stage_values(company, day))
        values.update(self._purchase_values(company, day))
        values.update(self._churn_values(company, day))
        values.update(self._nps_values(company, day))
        values.update(self._winback_values(company, day))
        values.update(self._points_values(company, day))
        return values

    # One query per KPI family. Each reads one company and one day; the
    # definitions are in readme/USAGE.md.

    @api.model
    def _stage_values(self, company, day):
        """Customers per stage at the end of ``day`` and 30 days earlier:
        the stays of the stage history open then."""
        before = day - timedelta(days=MOVE_WINDOW)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT h.stage,
                       COUNT(*) FILTER (WHERE h.date_end IS NULL
                                           OR h.date_end > %(day)s),
                       COUNT(*) FILTER (WHERE h.date_start <= %(before)s
                                          AND (h.date_end IS NULL
                                               OR h.date_end > %(before)s))
                  FROM crm_lifecycle_stage_history h
                 WHERE h.company_id = %(company)s
                   AND h.date_start <= %(day)s
                 GROUP BY h.stage
                """,
                day=day,
                before=before,
                company=company.id,
            )
        )
        now = {stage: count for stage, count, _before in rows}
        then = {stage: count for stage, _now, count in rows}
        moves = kpi.stage_moves(now, then)
        values = {}
        for stage in STAGES:
            values[f"count_{stage}"] = now.get(stage, 0)
            values[f"move_{stage}"] = moves.get(stage, 0)
        return values

    @api.model
    def _purchase_values(self, company, day):
        """Repurchase and the member/non-member comparison, from the
        purchases of every channel of the last two years (confirmed sale
        orders and the lifecycle's other purchases, in company currency)."""
        Profile = self.env["crm.lifecycle.profile"]
        until = day + timedelta(days=1)
        year_start = day - timedelta(days=YEAR)
        two_years = day - timedelta(days=2 * YEAR)
        rows = self.env.execute_query(
            SQL(
                """
                WITH purchases AS (
                    SELECT p.commercial_partner_id AS partner_id,
                           so.date_order::date AS day,
                           so.amount_untaxed
                               / COALESCE(NULLIF(so.currency_rate, 0), 1) AS amount
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.state = 'sale'
                       AND so.company_id = %(company)s
                       AND so.date_order < %(until)s
                       AND so.date_order >= %(two_years)s::date + 1
                    UNION ALL
                    SELECT o.partner_id, o.day, o.amount
                      FROM (%(other)s) o
                     WHERE o.state = 'sale'
                       AND o.company_id = %(company)s
                       AND o.day > %(two_years)s
                ), members AS (
                    SELECT DISTINCT cp.commercial_partner_id AS partner_id
                      FROM loyalty_card lc
                      JOIN loyalty_program lp ON lp.id = lc.program_id
                      JOIN res_partner cp ON cp.id = lc.partner_id
                     WHERE lp.crm_ledger_managed
                       AND lp.company_id = %(company)s
                ), per_customer AS (
                    SELECT partner_id,
                           COUNT(*) FILTER (WHERE day > %(year_start)s) AS orders,
                           SUM(amount) FILTER (WHERE day > %(year_start)s)
                               AS revenue,
                           COUNT(*) FILTER (WHERE day <= %(year_start)s)
                               AS previous_orders
                      FROM purchases
                     GROUP BY partner_id
                )
                SELECT m.partner_id IS NOT NULL AS member,
                       COUNT(*) FILTER (WHERE c.orders >= 1),
                       COUNT(*) FILTER (WHERE c.orders >= 2),
                       COALESCE(SUM(c.orders), 0)::int,
                       COALESCE(SUM(c.revenue), 0)::float,
                       COUNT(*) FILTER (WHERE c.previous_orders >= 1),
                       COUNT(*) FILTER (WHERE c.previous_orders >= 1
                                          AND c.orders >= 1),
                       COALESCE(SUM(pr.predicted_clv_12m)
                                FILTER (WHERE c.orders >= 1), 0)::float
                  FROM per_customer c
                  LEFT JOIN members m ON m.partner_id = c.partner_id
                  LEFT JOIN crm_lifecycle_profile pr
                    ON pr.partner_id = c.partner_id
                   AND pr.company_id = %(company)s
                 GROUP BY 1
                """,
                company=company.id,
                until=until,
                two_years=two_years,
                year_start=year_start,
                other=Profile._other_purchases_sql(until),
            )
        )
        groups = {
            member: dict(
                zip(
                    (
                        "buyers",
                        "repeat",
                        "orders",
                        "revenue",
                        "previous",
                        "retained",
                        "predicted",
                    ),
                    figures,
                    strict=True,
                )
            )
            for member, *figures in rows
        }
        empty = dict.fromkeys(
            ("buyers", "repeat", "orders", "revenue", "previous", "retained"), 0
        )
        empty["predicted"] = 0.0
        members = groups.get(True, empty)
        others = groups.get(False, empty)
        buyers = members["buyers"] + others["buyers"]
        repeat = members["repeat"] + others["repeat"]
        values = {
            "buyer_count": buyers,
            "repeat_buyer_count": repeat,
            "repurchase_rate": kpi.repurchase_rate(repeat, buyers),
        }
        for prefix, group in (("member", members), ("nonmember", others)):
            values[f"{prefix}_count"] = group["buyers"]
            values[f"{prefix}_aov"] = kpi.average(group["revenue"], group["orders"])
            values[f"{prefix}_orders_per_year"] = kpi.orders_per_year(
                group["orders"], group["buyers"]
            )
            values[f"{prefix}_retention"] = kpi.retention_rate(
                group["retained"], group["previous"]
            )
            values[f"{prefix}_predicted_value"] = kpi.average(
                group["predicted"], group["buyers"]
            )
        return values

    @api.model
    def _churn_values(self, company, day):
        """Yearly churn: the customers in a paying stage 365 days ago, and
        those of them who entered Churned since; high value: those whose
        RFM monetary score is 5 (the top fifth by value)."""
        start = day - timedelta(days=YEAR)
        base, churned, base_high, churned_high = self.env.execute_query(
            SQL(
                """
                WITH base AS (
                    SELECT DISTINCT h.partner_id
                      FROM crm_lifecycle_stage_history h
                     WHERE h.company_id = %(company)s
                       AND h.stage IN %(base_stages)s
                       AND h.date_start <= %(start)s
                       AND (h.date_end IS NULL OR h.date_end > %(start)s)
                ), churned AS (
                    SELECT DISTINCT h.partner_id
                      FROM crm_lifecycle_stage_history h
                     WHERE h.company_id = %(company)s
                       AND h.stage = 'churned'
                       AND h.date_start > %(start)s
                       AND h.date_start <= %(day)s
                )
                SELECT COUNT(*), COUNT(ch.partner_id),
                       COUNT(*) FILTER (WHERE pr.rfm_m = 5),
                       COUNT(ch.partner_id) FILTER (WHERE pr.rfm_m = 5)
                  FROM base b
                  LEFT JOIN churned ch ON ch.partner_id = b.partner_id
                  LEFT JOIN crm_lifecycle_profile pr
                    ON pr.partner_id = b.partner_id
                   AND pr.company_id = %(company)s
                """,
                company=company.id,
                base_stages=BASE_STAGES,
                start=start,
                day=day,
            )
        )[0]
        return {
            "churn_base": base,
            "churn_count": churned,
            "churn_rate": kpi.churn_rate(churned, base),
            "churn_base_high_value": base_high,
            "churn_count_high_value": churned_high,
            "churn_rate_high_value": kpi.churn_rate(churned_high, base_high),
        }

    @api.model
    def _nps_values(self, company, day):
        """NPS of the NPS answers of the last 90 days and of the 90 days
        before (the average of their NPS values)."""
        middle = day - timedelta(days=NPS_WINDOW)
        start = day - timedelta(days=2 * NPS_WINDOW)
        count, total, previous_count, previous_total = self.env.execute_query(
            SQL(
                """
                SELECT COUNT(*) FILTER (WHERE a.date > %(middle)s),
                       COALESCE(SUM(a.nps_value)
                                FILTER (WHERE a.date > %(middle)s), 0),
                       COUNT(*) FILTER (WHERE a.date <= %(middle)s),
                       COALESCE(SUM(a.nps_value)
                                FILTER (WHERE a.date <= %(middle)s), 0)
                  FROM crm_nps_answer a
                 WHERE a.company_id = %(company)s
                   AND a.kind = 'nps'
                   AND a.date > %(start)s
                   AND a.date <= %(day)s
                """,
                company=company.id,
                middle=middle,
                start=start,
                day=day,
            )
        )[0]
        nps = kpi.net_promoter_score(total, count)
        previous = kpi.net_promoter_score(previous_total, previous_count)
        return {
            "nps": nps,
            "nps_answer_count": count,
            "nps_previous": previous,
            "nps_previous_answer_count": previous_count,
            "nps_trend": kpi.trend(nps, previous),
        }

    @api.model
    def _winback_values(self, company, day):
        """Churn alerts closed in the last 365 days, won back or lost, in
        the offer group and in the control group."""
        rows = self.env.execute_query(
            SQL(
                """
                SELECT a.offer_group,
                       COUNT(*) FILTER (WHERE a.stage = 'won_back'),
                       COUNT(*) FILTER (WHERE a.stage = 'lost')
                  FROM crm_churn_alert a
                 WHERE a.company_id = %(company)s
                   AND a.stage IN ('won_back', 'lost')
                   AND a.offer_group IN ('offer', 'control')
                   AND a.closed_on > %(start)s
                   AND a.closed_on <= %(day)s
                 GROUP BY a.offer_group
                """,
                company=company.id,
                start=day - timedelta(days=YEAR),
                day=day,
            )
        )
        closed = {group: (won, lost) for group, won, lost in rows}
        offer_won, offer_lost = closed.get("offer", (0, 0))
        control_won, control_lost = closed.get("control", (0, 0))
        return {
            "winback_offer_won": offer_won,
            "winback_offer_lost": offer_lost,
            "winback_rate_offer": kpi.win_back_rate(offer_won, offer_lost),
            "winback_control_won": control_won,
            "winback_control_lost": control_lost,
            "winback_rate_control": kpi.win_back_rate(control_won, control_lost),
        }

    @api.model
    def _points_values(self, company, day):
        """The programme's liability: points left in the lots of the
        company's ledger-managed programs not expired on ``day``, their
        value, and those expiring within 90 days."""
        outstanding, expiring = self.env.execute_query(
            SQL(
                """
                SELECT COALESCE(SUM(l.remaining), 0)::float,
                       COALESCE(SUM(l.remaining)
                                FILTER (WHERE l.expiry_date <= %(horizon)s),
                                0)::float
                  FROM crm_loyalty_lot l
                  JOIN loyalty_card lc ON lc.id = l.card_id
                  JOIN loyalty_program lp ON lp.id = lc.program_id
                 WHERE lp.crm_ledger_managed
                   AND lp.company_id = %(company)s
                   AND l.remaining > 0
                   AND (l.expiry_date IS NULL OR l.expiry_date >= %(day)s)
                """,
                company=company.id,
                horizon=day + timedelta(days=EXPIRY_WINDOW),
                day=day,
            )
        )[0]
        return {
            "points_outstanding": outstanding,
            "points_value": kpi.points_value(
                outstanding, company.lifecycle_kpi_point_value
            ),
            "points_expiring": expiring,
        }

    # ------------------------------------------------------------------
    # Threshold activities
    # ------------------------------------------------------------------

    def _notify_managers(self, rules, values):
        """One To-Do per sales manager of the company for the lines newly
        crossed, on this snapshot, in the manager's language."""
        self.ensure_one()
        managers = self.env["res.users"].search(
            [
                ("groups_id", "in", self.env.ref(MANAGER_GROUP).id),
                ("share", "=", False),
                ("company_ids", "in", self.company_id.id),
            ]
        )
        lines = self.company_id._lifecycle_kpi_lines()
        for manager in managers:
            env = self.with_context(lang=manager.lang).env
            texts = [
                self._rule_text(env, rule, values, lines[rule])
                for rule in kpi.RULE_CODES
                if rule in rules
            ]
            summary = env._(
                "Lifecycle KPI off its line: %(company)s",
                company=self.company_id.name,
            )
            note = Markup("").join(Markup("<p>%s</p>") % text for text in texts)
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=self.date,
                summary=summary,
                note=note,
                user_id=manager.id,
            )
        _logger.info(
            "Lifecycle KPI lines crossed for company %s on %s: %s",
            self.company_id.id,
            self.date,
            sorted(rules),
        )

    @api.model
    def _rule_text(self, env, rule, values, line):
        figure = {
            "churn": values.get("churn_rate"),
            "churn_high_value": values.get("churn_rate_high_value"),
            "repurchase": values.get("repurchase_rate"),
            "nps": values.get("nps"),
        }[rule]
        args = {"value": f"{figure:.1f}", "line": f"{line:.1f}"}
        if rule == "churn":
            return env._(
                "Yearly churn rate %(value)s%% is above the warning line of "
                "%(line)s%%.",
                **args,
            )
        if rule == "churn_high_value":
            return env._(
                "Yearly churn rate of high-value customers %(value)s%% is "
                "above the warning line of %(line)s%%.",
                **args,
            )
        if rule == "repurchase":
            return env._(
                "Repurchase rate over 12 months %(value)s%% is below the "
                "healthy line of %(line)s%%.",
                **args,
            )
        return env._(
            "NPS of the last 90 days %(value)s is below the good line of %(line)s.",
            **args,
        )

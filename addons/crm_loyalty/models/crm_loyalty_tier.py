import math
from collections import namedtuple
from datetime import timedelta
from itertools import pairwise

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, format_amount, ormcache
from odoo.tools.misc import format_date

from odoo.addons.crm_lifecycle.bulk_sql import int_array

from ..tools import tiers as tier_rules
from ..tools.ledger import MAX_POINTS
from ..tools.multipliers import MAX_FACTOR

STARS = [
    ("0", "No star"),
    ("1", "1 star"),
    ("2", "2 stars"),
    ("3", "3 stars"),
    ("4", "4 stars"),
]

# What an order confirmation needs of a company's tiers; cached, so immutable.
# ``names``: the tier's name in every language ({lang: name}), kept by the
# entries whose multiplier it gave, to be worded in their reader's language.
CachedTier = namedtuple(
    "CachedTier",
    ["id", "name", "multiplier", "threshold", "retention_threshold", "names"],
)


class CrmLoyaltyTier(models.Model):
    """A member tier (Bronze, Silver...) of one company, shown as stars."""

    _name = "crm.loyalty.tier"
    _inherit = ["crm.lifecycle.cached.mixin"]
    _description = "Loyalty Member Tier"
    _order = "company_id, threshold, id"

    name = fields.Char(required=True, translate=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    stars = fields.Selection(STARS, required=True, default="1")
    threshold = fields.Float(
        "Qualify from",
        required=True,
        help="Earned points, amount spent or orders in the qualification window "
        "(company setting) from which a member reaches this tier at once.",
    )
    retention_threshold = fields.Float(
        "Keep from",
        required=True,
        help="What a member must still reach at the yearly requalification to "
        "keep this tier; below it they move down one tier.",
    )
    multiplier = fields.Float("Earn multiplier", default=1.0)
    pricelist_id = fields.Many2one(
        "product.pricelist",
        "Member pricelist",
        help="Given to members of this tier, so that new quotations get the tier's "
        "discount automatically.",
    )
    perks = fields.Text(translate=True)
    member_count = fields.Integer(compute="_compute_member_count")
    # Service level by star (星级管理).
    service_response_hours = fields.Integer(
        "Response time (hours)",
        help="Activities the suite creates for a member of this tier (churn "
        "alerts, journeys...) are due within this many hours: under a day, "
        "the same working day; otherwise one working day per 24 hours. 0: "
        "each activity's own delay.",
    )
    service_dedicated = fields.Boolean(
        "Dedicated account manager",
        help="Members of this tier have an account manager of their own; those "
        "without one are listed under Loyalty > Members to Assign.",
    )
    service_manager_id = fields.Many2one(
        "res.users",
        "Default account manager",
        help="Gets the activities of members of this tier who have no account "
        "manager of their own. Empty: the leader of the member's sales team.",
    )
    service_channels = fields.Char(
        "Service channels",
        translate=True,
        help="How members of this tier reach the company, e.g. a hotline, "
        "WeChat, a personal advisor in store.",
    )

    @api.constrains("threshold", "retention_threshold", "multiplier")
    def _check_thresholds(self):
        for tier in self:
            # Written so that NaN thresholds are refused too.
            if not (tier.retention_threshold <= tier.threshold and tier.threshold >= 0):
                raise ValidationError(
                    self.env._(
                        "The keep threshold of %(tier)s must be between 0 and its "
                        "qualification threshold.",
                        tier=tier.name,
                    )
                )
            if tier.multiplier < 1:
                raise ValidationError(
                    self.env._("A tier multiplier cannot be below 1.")
                )
            if not tier.multiplier <= MAX_FACTOR:
                raise ValidationError(
                    self.env._("Multipliers cannot exceed %(max)s.", max=MAX_FACTOR)
                )
            if tier.threshold > MAX_POINTS:
                raise ValidationError(
                    self.env._("Tier thresholds cannot exceed %(max)s.", max=MAX_POINTS)
                )
        for company in self.company_id:
            tiers = self.search([("company_id", "=", company.id)], order="threshold")
            for lower, higher in pairwise(tiers):
                if (
                    higher.threshold <= lower.threshold
                    or higher.retention_threshold < lower.threshold
                ):
                    raise ValidationError(
                        self.env._(
                            "Tiers %(lower)s and %(higher)s overlap: each tier must "
                            "qualify from more than the tier below it, and keep from "
                            "at least that tier's qualification threshold.",
                            lower=lower.name,
                            higher=higher.name,
                        )
                    )

    def _compute_member_count(self):
        counts = dict(
            self.env["res.partner"]
            .with_context(active_test=False)
            ._read_group(
                [("loyalty_tier_id", "in", self.ids)], ["loyalty_tier_id"], ["__count"]
            )
        )
        for tier in self:
            tier.member_count = counts.get(tier, 0)

    # ------------------------------------------------------------------
    # Qualification
    # ------------------------------------------------------------------

    @api.model
    def _rules(self, company):
        return [
            tier_rules.Tier(t.id, t.threshold, t.retention_threshold)
            for t in self._company_tiers(company.id)
        ]

    @api.model
    @ormcache("company_id", "self.env.lang")
    def _company_tiers(self, company_id):
        """The company's tiers, lowest first.

        Every order confirmation needs them (the member's multiplier, the
        upgrade); they change a few times a year, so they are kept per
        registry and dropped on every change of a tier.
        """
        # Tiers are read as superuser: the multiplier and the upgrade apply
        # whoever confirms the order, and the cache is shared by all users.
        tiers = self.sudo().search([("company_id", "=", company_id)])
        self.flush_model(["name"])
        names = dict(
            self.env.execute_query(
                SQL(
                    "SELECT id, name FROM crm_loyalty_tier WHERE id = ANY(%s)",
                    tiers.ids,
                )
            )
        )
        return tuple(
            CachedTier(
                t.id,
                t.name,
                t.multiplier,
                t.threshold,
                t.retention_threshold,
                names.get(t.id) or {"en_US": t.name},
            )
            for t in tiers
        )

    @api.model
    def _metrics(self, company, partner_ids, start, end):
        """What each commercial partner earned, spent or ordered in [start, end]."""
        query = self._metrics_query(company, list(partner_ids), start, end)
        return {row[0]: float(row[1] or 0) for row in self.env.execute_query(query)}

    def _metrics_query(self, company, partner_ids, start, end):
        """``partner_ids``: commercial partners, a list or an SQL array."""
        if not isinstance(partner_ids, SQL):
            partner_ids = int_array(partner_ids)
        basis = company.loyalty_tier_basis
        self.env["crm.loyalty.entry"].flush_model()
        if basis == "earned":
            return SQL(
                """
                SELECT p.commercial_partner_id, SUM(e.points)
                  FROM crm_loyalty_entry e
                  JOIN res_partner p ON p.id = e.partner_id
                 WHERE e.company_id = %(company)s
                   AND e.entry_type IN ('earn', 'behaviour', 'bonus')
                   AND e.date >= %(start)s AND e.date < %(end)s
                   AND p.commercial_partner_id = ANY(%(partners)s)
                 GROUP BY 1
                """,
                company=company.id,
                start=start,
                end=end + timedelta(days=1),
                partners=partner_ids,
            )
        measure = SQL("SUM(pu.amount)") if basis == "spent" else SQL("COUNT(*)")
        until = end + timedelta(days=1)
        Profile = self.env["crm.lifecycle.profile"]
        # The other channels' purchases (invoices without a sale order, the
        # till...), as the lifecycle counts them.
        Profile._flush_facts_inputs()
        other = SQL("").join(
            SQL(
                """
                UNION ALL
                SELECT o.partner_id, o.amount FROM (%s) o
                 WHERE o.state = 'sale' AND o.company_id = %s AND o.day >= %s
                """,
                source,
                company.id,
                start,
            )
            for source in Profile._other_purchases(until, partner_ids)
        )
        return SQL(
            """
            SELECT pu.partner_id, %(measure)s
              FROM (
                SELECT p.commercial_partner_id AS partner_id,
                       so.amount_untaxed
                           / COALESCE(NULLIF(so.currency_rate, 0), 1) AS amount
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company)s AND so.state = 'sale'
                   AND so.date_order >= %(start)s AND so.date_order < %(end)s
                   AND p.commercial_partner_id = ANY(%(partners)s)
                %(other)s
              ) pu
             GROUP BY 1
            """,
            measure=measure,
            company=company.id,
            start=start,
            end=until,
            partners=partner_ids,
            other=other,
        )

    def _standing(self, company, partners, start, end):
        """Each commercial partner of ``partners`` with its tier in
        ``company`` and its metric, in one statement: through the ORM the
        commercial partner and its company-dependent tier cost two reads of
        the partner's row on every order confirmation."""
        self.env["res.partner"].flush_model(
            ["commercial_partner_id", "loyalty_tier_id"]
        )
        customers = SQL(
            "ARRAY(SELECT DISTINCT COALESCE(commercial_partner_id, id)"
            " FROM res_partner WHERE id = ANY(%s))",
            partners.ids,
        )
        rows = self.env.execute_query(
            SQL(
                """
                WITH metric AS (%(metric)s)
                SELECT c.id, (c.loyalty_tier_id ->> %(key)s)::int, m.value
                  FROM res_partner c
                  LEFT JOIN metric m (partner_id, value) ON m.partner_id = c.id
                 WHERE c.id = ANY(%(customers)s)
                 ORDER BY c.id
                """,
                metric=self._metrics_query(company, customers, start, end),
                key=str(company.id),
                customers=customers,
            )
        )
        return {row[0]: (row[1], float(row[2] or 0)) for row in rows}

    @api.model
    def _update_members(
        self, partners, company=None, mode="upgrade", today=None, reason=False
    ):
        """Move these customers to the tier their activity gives them.

        ``upgrade`` (after an order or behaviour points) only moves up;
        ``requalify`` (the yearly review) may move down one tier. Writes the
        partners' tier and pricelist in one statement each, and the history.
        """
        company = company or self.env.company
        today = today or fields.Date.context_today(self)
        rules = self._rules(company)
        if not rules or not partners:
            return {}
        start = tier_rules.window_start(company.loyalty_tier_window, today)
        changes = {}
        for partner_id, (old, metric) in self._standing(
            company, partners, start, today
        ).items():
            new = (
                tier_rules.requalify(old, metric, rules)
                if mode == "requalify"
                else tier_rules.upgrade(old, metric, rules)
            )
            if new != old:
                changes[partner_id] = (old, new, metric)
        if changes:
            self._apply_changes(company, changes, today, reason or mode)
        return changes

    def _apply_changes(self, company, changes, today, reason):
        tiers = self.browse([new for _old, new, _m in changes.values() if new])
        pricelists = {tier.id: tier.pricelist_id.id for tier in tiers}
        ids = list(changes)
        new_tiers = [changes[pid][1] for pid in ids]
        key = str(company.id)
        self.env["res.partner"].flush_model(
            ["loyalty_tier_id", "specific_property_product_pricelist"]
        )
        self.env.execute_query(
            SQL(
                """
                UPDATE res_partner p
                   SET loyalty_tier_id = COALESCE(p.loyalty_tier_id, '{}')
                                         || jsonb_build_object(%(key)s, v.tier_id)
                  FROM unnest(%(ids)s::int[], %(tiers)s::int[]) AS v(id, tier_id)
                 WHERE p.id = v.id
                """,
                key=key,
                ids=ids,
                tiers=new_tiers,
            )
        )
        with_pricelist = [(pid, pricelists.get(changes[pid][1])) for pid in ids]
        with_pricelist = [(pid, pl) for pid, pl in with_pricelist if pl]
        if with_pricelist:
            self.env.execute_query(
                SQL(
                    """
                    UPDATE res_partner p
                       SET specific_property_product_pricelist =
                               COALESCE(p.specific_property_product_pricelist, '{}')
                               || jsonb_build_object(%(key)s, v.pricelist_id)
                      FROM unnest(%(ids)s::int[], %(pricelists)s::int[])
                           AS v(id, pricelist_id)
                     WHERE p.id = v.id
                    """,
                    key=key,
                    ids=[pid for pid, _pl in with_pricelist],
                    pricelists=[pl for _pid, pl in with_pricelist],
                )
            )
        self.env["res.partner"].invalidate_model(
            [
                "loyalty_tier_id",
                "specific_property_product_pricelist",
                "property_product_pricelist",
            ]
        )
        # The review's own reasons are codes, worded in the reader's
        # language (a selection); any other reason is kept as given.
        History = self.env["crm.loyalty.tier.history"]
        codes = dict(History._fields["reason_code"].selection)
        self.env["crm.loyalty.tier.history"].sudo().create(
            [
                {
                    "partner_id": pid,
                    "company_id": company.id,
                    "from_tier_id": old,
                    "to_tier_id": new,
                    "date": today,
                    "metric": metric,
                    "reason_code": reason if reason in codes else False,
                    "reason": False if reason in codes else reason,
                }
                for pid, (old, new, metric) in changes.items()
            ]
        )

    @api.model
    def _warning_period_end(self, company, today):
        """The end of the qualifying period whose review is near (``today``
        is within the warning days before it, or its grace days), or None:
        the days a member below the keep threshold is at risk of dropping."""
        review = company.loyalty_tier_next_review
        if not review:
            return None
        period_end = review - timedelta(days=company.loyalty_tier_grace_days)
        warn_from = period_end - timedelta(days=company.loyalty_tier_warning_days)
        return period_end if warn_from <= today < review else None

    @api.model
    def _members_at_risk(self, company, today, period_end, members):
        """These members (partners with a tier in ``company``) below their
        tier's keep threshold in the period ending ``period_end``, and the
        metrics of all of them (one query)."""
        if not members:
            return self.env["res.partner"], {}
        start = tier_rules.window_start(company.loyalty_tier_window, period_end)
        metrics = self._metrics(company, members.ids, start, today)
        at_risk = members.filtered(
            lambda m: metrics.get(m.id, 0.0) < m.loyalty_tier_id.retention_threshold
        )
        return at_risk, metrics

    @api.model
    def _warn_members_at_risk(self, company, today, period_end, members):
        """Before the review: these members, when below their tier's keep
        threshold, get an email saying what they still need, and their
        salesperson (or the sales team leader) an activity due at the end of
        the year."""
        if not members:
            return self.env["res.partner"]
        at_risk, metrics = self._members_at_risk(company, today, period_end, members)
        template = self.env.ref("crm_loyalty.mail_template_tier_at_risk")
        for member in at_risk:
            tier = member.loyalty_tier_id
            missing = tier.retention_threshold - metrics.get(member.id, 0.0)
            # The email is worded for the customer, in his language.
            customer = tier.with_context(lang=member.lang or self.env.lang)
            if not member._lifecycle_email_opted_out():
                # A member who opted out of emails or of marketing gets none;
                # the activity below still tells the salesperson.
                template.with_context(
                    tier_name=customer.name,
                    tier_missing=customer._format_metric(company, missing),
                    tier_deadline=fields.Date.to_string(period_end),
                    tier_deadline_text=format_date(customer.env, period_end),
                ).send_mail(
                    member.id,
                    email_layout_xmlid="mail.mail_notification_light",
                    email_values={"headers": member._loyalty_mail_headers()},
                )
            team = member["team_id"] if "team_id" in member._fields else None
            owner = member.user_id or (team.user_id if team else False)
            if owner:
                # The activity is stored text: written in the language of
                # the salesperson who reads it.
                seller = tier.with_context(lang=owner.lang or self.env.lang)
                member.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=period_end,
                    summary=seller.env._(
                        "Keep %(tier)s: %(missing)s still needed",
                        tier=seller.name,
                        missing=seller._format_metric(company, missing),
                    ),
                    user_id=owner.id,
                )
        return at_risk

    @api.model
    def _format_metric(self, company, value):
        """A value of the company's qualification metric for people, in this
        environment's language: points (the ledger's precision), an amount
        in the company's currency, or a number of orders."""
        basis = company.loyalty_tier_basis
        if basis == "spent":
            return format_amount(self.env, value, company.currency_id)
        if basis == "orders":
            count = math.ceil(round(value, 6))
            return self.env._("%(count)s orders", count=count)
        return self.env._(
            "%(points)s points",
            points=self.env["crm.loyalty.entry"]._format_points(value),
        )

    @api.model
    def _progress(self, partner, company):
        """What ``partner`` (a commercial partner) still needs for the tier
        above his in ``company``: ``{"tier", "missing", "ratio", "text"}``,
        or None at the top tier or without tiers. Reads the metric in SQL,
        like the review."""
        rules = self._rules(company)
        if not rules:
            return None
        today = fields.Date.context_today(self)
        start = tier_rules.window_start(company.loyalty_tier_window, today)
        metric = self._metrics(company, partner.ids, start, today).get(partner.id, 0.0)
        current = partner.with_company(company).loyalty_tier_id
        target, missing, ratio = tier_rules.progress(current.id, metric, rules)
        if target is None:
            return None
        tier = self.browse(target.tier_id)
        basis = company.loyalty_tier_basis
        if basis == "spent":
            text = self.env._(
                "%(amount)s more to spend to reach %(tier)s",
                amount=format_amount(self.env, missing, company.currency_id),
                tier=tier.name,
            )
        elif basis == "orders":
            text = self.env._(
                "%(count)s more orders to reach %(tier)s",
                count=math.ceil(round(missing, 6)),
                tier=tier.name,
            )
        else:
            text = self.env._(
                "%(points)s more points to %(tier)s",
                points=self.env["crm.loyalty.entry"]._format_points(missing),
                tier=tier.name,
            )
        return {"tier": tier, "missing": missing, "ratio": ratio, "text": text}

    @api.model
    def _cron_requalify(self, batch_size=5000, warn_batch_size=500):
        """Yearly review, run daily: warns the members at risk before it, and
        acts once the company's review date (end of the qualification year
        plus the grace period) has come.

        One batch of members per call, by partner id after the company's
        cursor, and the cron is told what remains: the review of every
        member in one call grew with the membership, past what a cron call
        may take. Warnings send one email and schedule one activity each,
        hence their smaller batches.
        """
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].search([])
        for company in companies:
            step = self._review_step(company, today)
            if not step:
                continue
            review = company.loyalty_tier_next_review
            if step == "review" and company.loyalty_tier_warned_review != review:
                # Warnings still running on the review day are too late: the
                # review starts from the first member.
                company.write(
                    {
                        "loyalty_tier_warned_review": review,
                        "loyalty_tier_review_cursor": 0,
                    }
                )
            size = warn_batch_size if step == "warn" else batch_size
            Partner = self.env["res.partner"].with_company(company)
            members = Partner.search(
                [
                    ("loyalty_tier_id", "!=", False),
                    ("id", ">", company.loyalty_tier_review_cursor),
                ],
                order="id",
                limit=size,
            )
            period_end = review - timedelta(days=company.loyalty_tier_grace_days)
            Tier = self.with_company(company)
            if step == "warn":
                Tier._warn_members_at_risk(company, today, period_end, members)
            else:
                Tier._update_members(
                    members, company=company, mode="requalify", today=period_end
                )
            remaining = 0
            if len(members) == size:
                remaining = Partner.search_count(
                    [("loyalty_tier_id", "!=", False), ("id", ">", members[-1].id)]
                )
            if remaining:
                company.loyalty_tier_review_cursor = members[-1].id
            else:
                company.loyalty_tier_review_cursor = 0
                if step == "warn":
                    company.loyalty_tier_warned_review = review
                else:
                    company.loyalty_tier_next_review = review.replace(
                        year=review.year + 1
                    )
            # Another company's review or warnings due: call again.
            if not remaining and any(
                self._review_step(other, today) for other in companies
            ):
                remaining = 1
            self.env["ir.cron"]._notify_progress(
                done=max(len(members), 1), remaining=remaining
            )
            return
        self.env["ir.cron"]._notify_progress(done=0, remaining=0)

    @api.model
    def _review_step(self, company, today):
        """What the yearly review owes this company today: ``warn`` (the
        members at risk, once per review), ``review`` or nothing."""
        review = company.loyalty_tier_next_review
        if not review:
            return None
        period_end = review - timedelta(days=company.loyalty_tier_grace_days)
        warn_from = period_end - timedelta(days=company.loyalty_tier_warning_days)
        if warn_from <= today < review:
            return "warn" if company.loyalty_tier_warned_review != review else None
        return "review" if today >= review else None

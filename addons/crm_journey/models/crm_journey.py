from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from odoo.addons.crm_lifecycle.bulk_sql import int_array
from odoo.addons.crm_lifecycle.models.crm_lifecycle_profile import (
    SEGMENT_SELECTION,
    STAGE_SELECTION,
)

from ..tools import festivals, stats

TRIGGER_SELECTION = [
    ("stage", "Enters a lifecycle stage"),
    ("segment", "Enters an RFM segment"),
    ("days_since_order", "Days since the last purchase reach"),
    ("no_second_order", "Days after the first purchase, without a second one"),
    ("birthday_month", "Birthday month"),
    ("calendar", "A date of the year"),
    ("tier_upgraded", "Moves up a member tier"),
    ("tier_at_risk", "Tier at risk before the yearly review"),
]
FESTIVAL_SELECTION = [
    ("spring_festival", "Spring Festival (春节)"),
    ("lantern", "Lantern Festival (元宵)"),
    ("dragon_boat", "Dragon Boat Festival (端午)"),
    ("qixi", "Qixi Festival (七夕)"),
    ("mid_autumn", "Mid-Autumn Festival (中秋)"),
    ("double_ninth", "Double Ninth Festival (重阳)"),
]
# Days a trigger keeps enrolling after its day: a night the server missed
# loses nobody (the period keeps anybody from entering twice).
LATE_DAYS = 7
# The first night of a journey looks this far back for stage, segment and
# tier changes.
FIRST_LOOK_BACK_DAYS = 7


class CrmJourney(models.Model):
    """An automated customer journey: who enters it (a trigger and an
    audience), what happens to them (steps), when they leave (an order, the
    audience, an opt-out) and whether it worked (against a control group).

    The nightly run (``crm.journey.run``) enrols and advances the journeys
    in batches of customers; this model says who enters, in one query per
    journey and batch (``_enrol``)."""

    _name = "crm.journey"
    _description = "Customer Journey"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    state = fields.Selection(
        [("draft", "Draft"), ("running", "Running"), ("stopped", "Stopped")],
        default="draft",
        required=True,
        copy=False,
        help="Only running journeys enrol and advance customers. A stopped "
        "journey keeps its results; its customers stay where they were.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        "Responsible",
        default=lambda self: self.env.user,
        help="Gets the journey's activities for customers without a salesperson.",
    )
    description = fields.Text(translate=True)
    trigger = fields.Selection(TRIGGER_SELECTION, required=True, default="stage")
    trigger_stage = fields.Selection(STAGE_SELECTION, "Stage", default="new")
    trigger_segment = fields.Selection(SEGMENT_SELECTION, "Segment")
    trigger_days = fields.Integer("Days", default=90)
    calendar_kind = fields.Selection(
        [("gregorian", "Gregorian date"), ("lunar", "Chinese festival")],
        "Calendar",
        default="lunar",
    )
    festival = fields.Selection(FESTIVAL_SELECTION, default="spring_festival")
    calendar_month = fields.Integer("Month", default=1)
    calendar_day = fields.Integer("Day", default=1)
    days_before = fields.Integer(
        "Days ahead", help="Enter the customers this many days before the day."
    )
    next_occurrence = fields.Date(
        "Next date", compute="_compute_next_occurrence", help="Computed each year."
    )
    trigger_tier_id = fields.Many2one(
        "crm.loyalty.tier",
        "Tier",
        check_company=True,
        help="Moves up: into this tier; at risk: members of this tier. Empty: "
        "any tier.",
    )
    partner_domain = fields.Char(
        "Audience",
        default="[]",
        required=True,
        help="Conditions on the customer (stage, segment, value class, tier, "
        "salesperson, any field), read in the journey's company.",
    )
    step_ids = fields.One2many("crm.journey.step", "journey_id", "Steps", copy=True)
    control_share = fields.Float(
        "Control group (%)",
        default=10.0,
        help="Share of the entering customers, drawn by a fixed hash, who go "
        "through no step: their orders tell what the journey adds.",
    )
    period_days = fields.Integer(
        "Once per (days)",
        default=365,
        help="A customer enters this journey at most once in this many days.",
    )
    conversion_days = fields.Integer(
        "Conversion window (days)",
        default=30,
        help="An order within this many days of entering counts as a conversion.",
    )
    exit_on_order = fields.Boolean(
        "Leave on an order",
        default=True,
        help="A customer who orders leaves the journey (converted); otherwise "
        "the steps go on and the order is still counted.",
    )
    exit_on_audience = fields.Boolean(
        "Leave when out of the audience",
        default=True,
        help="A customer who no longer meets the audience's conditions leaves.",
    )
    last_run_on = fields.Date("Last run", readonly=True, copy=False)
    participant_ids = fields.One2many("crm.journey.participant", "journey_id")
    entered_count = fields.Integer("Entered", compute="_compute_results")
    running_count = fields.Integer("In the journey", compute="_compute_results")
    converted_count = fields.Integer("Converted", compute="_compute_results")
    control_count = fields.Integer("Control group", compute="_compute_results")
    control_converted_count = fields.Integer(
        "Control group converted", compute="_compute_results"
    )
    conversion_rate = fields.Float("Conversion (%)", compute="_compute_results")
    control_rate = fields.Float("Control conversion (%)", compute="_compute_results")
    revenue = fields.Monetary(compute="_compute_results")
    result_text = fields.Text("Result", compute="_compute_results")

    @api.constrains(
        "trigger_days", "period_days", "conversion_days", "control_share", "days_before"
    )
    def _check_numbers(self):
        for journey in self:
            if journey.trigger in ("days_since_order", "no_second_order") and (
                journey.trigger_days < 1
            ):
                raise ValidationError(
                    self.env._("The trigger needs a number of days of at least 1.")
                )
            if journey.period_days < 1 or journey.conversion_days < 1:
                raise ValidationError(
                    self.env._(
                        "The period and the conversion window are at least one day."
                    )
                )
            if not 0 <= journey.control_share <= 50:
                raise ValidationError(
                    self.env._("The control group takes between 0% and 50%.")
                )
            if not 0 <= journey.days_before <= 60:
                raise ValidationError(
                    self.env._("A journey enters customers at most 60 days ahead.")
                )

    @api.constrains("trigger", "calendar_kind", "calendar_month", "calendar_day")
    def _check_calendar(self):
        for journey in self.filtered(
            lambda j: j.trigger == "calendar" and j.calendar_kind == "gregorian"
        ):
            if not (
                1 <= journey.calendar_month <= 12 and 1 <= journey.calendar_day <= 31
            ):
                raise ValidationError(
                    self.env._("A date of the year needs a valid month and day.")
                )

    @api.constrains("partner_domain")
    def _check_partner_domain(self):
        for journey in self:
            try:
                domain = safe_eval(journey.partner_domain or "[]")
                self.env["res.partner"].search_count(domain, limit=1)
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "The audience of %(journey)s is not a valid condition: "
                        "%(error)s",
                        journey=journey.name,
                        error=error,
                    )
                ) from error

    @api.depends(
        "trigger",
        "calendar_kind",
        "festival",
        "calendar_month",
        "calendar_day",
    )
    def _compute_next_occurrence(self):
        today = fields.Date.context_today(self)
        for journey in self:
            journey.next_occurrence = (
                journey._next_occurrence(today)
                if journey.trigger == "calendar"
                else False
            )

    def _next_occurrence(self, today):
        self.ensure_one()
        for year in (today.year, today.year + 1):
            try:
                day = festivals.occurrence(
                    self.calendar_kind,
                    year,
                    festival=self.festival,
                    month=self.calendar_month,
                    day=self.calendar_day,
                )
            except (KeyError, ValueError):
                return False
            if day >= today:
                return day
        return False

    def _compute_results(self):
        Participant = self.env["crm.journey.participant"]
        groups = Participant._read_group(
            [("journey_id", "in", self.ids)],
            ["journey_id", "is_control", "converted", "state"],
            ["__count", "revenue:sum"],
        )
        figures = {}
        for journey, control, converted, state, count, revenue in groups:
            row = figures.setdefault(
                journey.id,
                dict.fromkeys(
                    ("entered", "converted", "control", "control_conv", "running"), 0
                )
                | {"revenue": 0.0},
            )
            if control:
                row["control"] += count
                row["control_conv"] += count if converted else 0
                continue
            row["entered"] += count
            if converted:
                row["converted"] += count
                row["revenue"] += revenue or 0.0
            if state in ("running", "waiting"):
                row["running"] += count
        for journey in self:
            row = figures.get(journey.id, {})
            journey.entered_count = row.get("entered", 0)
            journey.running_count = row.get("running", 0)
            journey.converted_count = row.get("converted", 0)
            journey.control_count = row.get("control", 0)
            journey.control_converted_count = row.get("control_conv", 0)
            journey.revenue = row.get("revenue", 0.0)
            comparison = stats.compare(
                journey.entered_count,
                journey.converted_count,
                journey.control_count,
                journey.control_converted_count,
            )
            journey.conversion_rate = 100.0 * comparison.rate
            journey.control_rate = 100.0 * comparison.control_rate
            journey.result_text = journey._result_sentence(comparison)

    def _result_sentence(self, comparison):
        """The journey's result in words, with the test's verdict."""
        _ = self.env._
        if not self.entered_count:
            return _("No customer has entered this journey yet.")
        head = _(
            "%(rate).1f%% of the %(entered)s customers who went through the journey "
            "ordered within %(days)s days, against %(control_rate).1f%% of the "
            "%(control)s customers of the control group.",
            rate=100.0 * comparison.rate,
            entered=self.entered_count,
            days=self.conversion_days,
            control_rate=100.0 * comparison.control_rate,
            control=self.control_count,
        )
        verdict = stats.verdict(comparison)
        if verdict == "too_few":
            tail = _(
                "Too few customers (or orders) yet to tell the journey's effect "
                "from chance: at least %(group)s customers on each side and "
                "%(orders)s orders are needed.",
                group=stats.MIN_GROUP,
                orders=stats.MIN_CONVERSIONS,
            )
        elif verdict == "better":
            tail = _(
                "The journey adds %(points).1f points of conversion; a difference "
                "this large would come by chance less than once in 20 "
                "(p = %(p).3f).",
                points=100.0 * comparison.difference,
                p=comparison.p_value,
            )
        elif verdict == "worse":
            tail = _(
                "The journey's customers order less than the control group "
                "(%(points).1f points); this is unlikely to be chance "
                "(p = %(p).3f): review its messages.",
                points=100.0 * comparison.difference,
                p=comparison.p_value,
            )
        else:
            tail = _(
                "The difference (%(points).1f points) could be chance "
                "(p = %(p).2f): no effect shown yet.",
                points=100.0 * comparison.difference,
                p=comparison.p_value,
            )
        return f"{head} {tail}"

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_start(self):
        for journey in self:
            if not journey.step_ids:
                raise UserError(
                    self.env._(
                        "%(journey)s has no step: add what happens to the "
                        "customers before starting it.",
                        journey=journey.name,
                    )
                )
        self.write({"state": "running"})

    def action_stop(self):
        self.write({"state": "stopped"})

    def action_run_now(self):
        """Run tonight's journey step now (the lifecycle figures as they are)."""
        return self.env["crm.journey.run"].action_run_now()

    @api.model
    def _load_demo_data(self):
        """Demo members and journeys: see demo/demo_loader.py."""
        from ..demo import demo_loader

        return demo_loader.load(self.env)

    def action_open_participants(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_journey.crm_journey_participant_action"
        )
        action["domain"] = [("journey_id", "=", self.id)]
        action["context"] = {"default_journey_id": self.id}
        return action

    # ------------------------------------------------------------------
    # Enrolment
    # ------------------------------------------------------------------

    def _audience_domain(self):
        self.ensure_one()
        return safe_eval(self.partner_domain or "[]")

    def _since(self, as_of):
        """The day after which stage, segment and tier changes are new to
        this journey."""
        self.ensure_one()
        if self.last_run_on and self.last_run_on < as_of:
            return self.last_run_on
        if self.last_run_on:
            # Run again on the same day: what the first run saw is kept out
            # by the period.
            return as_of - timedelta(days=1)
        return as_of - timedelta(days=FIRST_LOOK_BACK_DAYS)

    def _trigger_condition(self, as_of, partner_ids):
        """SQL on the profile ``pr`` (and partner ``rp``) of the customers
        the trigger takes tonight, or None when it takes nobody."""
        self.ensure_one()
        since = self._since(as_of)
        trigger = self.trigger
        if trigger == "stage":
            return self._entered_condition(
                "crm_lifecycle_stage_history",
                "stage",
                "stage",
                self.trigger_stage,
                since,
                as_of,
            )
        if trigger == "segment":
            return self._entered_condition(
                "crm_rfm_segment_history",
                "segment",
                "rfm_segment",
                self.trigger_segment,
                since,
                as_of,
            )
        if trigger == "days_since_order":
            # One entry per silence: the days count from the last order,
            # whatever the period says.
            return SQL(
                """pr.order_count > 0
                   AND pr.last_order_date BETWEEN %(first)s AND %(last)s
                   AND NOT EXISTS (
                       SELECT 1 FROM crm_journey_participant s
                        WHERE s.journey_id = %(journey)s
                          AND s.partner_id = pr.partner_id
                          AND s.entered_on >= pr.last_order_date)""",
                first=as_of - timedelta(days=self.trigger_days + LATE_DAYS),
                last=as_of - timedelta(days=self.trigger_days),
                journey=self.id,
            )
        if trigger == "no_second_order":
            return SQL(
                "pr.order_count = 1 AND pr.first_order_date BETWEEN %s AND %s",
                as_of - timedelta(days=self.trigger_days + LATE_DAYS),
                as_of - timedelta(days=self.trigger_days),
            )
        if trigger == "birthday_month":
            return SQL("EXTRACT(MONTH FROM rp.birthdate_date) = %s", as_of.month)
        if trigger == "calendar":
            try:
                day = festivals.due(
                    as_of,
                    self.calendar_kind,
                    festival=self.festival,
                    month=self.calendar_month,
                    day=self.calendar_day,
                    days_before=self.days_before,
                )
            except (KeyError, ValueError):
                return None
            return SQL("TRUE") if day else None
        if trigger == "tier_upgraded":
            return SQL(
                """EXISTS (
                       SELECT 1 FROM crm_loyalty_tier_history h
                         JOIN crm_loyalty_tier t ON t.id = h.to_tier_id
                    LEFT JOIN crm_loyalty_tier f ON f.id = h.from_tier_id
                        WHERE h.partner_id = pr.partner_id
                          AND h.company_id = pr.company_id
                          AND h.date > %(since)s AND h.date <= %(as_of)s
                          AND (f.id IS NULL OR t.threshold > f.threshold)
                          AND (%(tier)s IS NULL OR t.id = %(tier)s))""",
                since=since,
                as_of=as_of,
                tier=self.trigger_tier_id.id or None,
            )
        if trigger == "tier_at_risk":
            return self._tier_at_risk_condition(as_of, partner_ids)
        return self._trigger_condition_other(as_of, since, partner_ids)

    def _entered_condition(self, table, column, profile_column, value, since, as_of):
        """Customers still in ``value`` (their profile's ``profile_column``)
        who entered it in ``(since, as_of]`` by the history ``table``."""
        return SQL(
            """pr.%(profile_column)s = %(value)s AND EXISTS (
                   SELECT 1 FROM %(table)s h
                    WHERE h.partner_id = pr.partner_id
                      AND h.company_id = pr.company_id
                      AND h.%(column)s = %(value)s
                      AND h.date_start > %(since)s
                      AND h.date_start <= %(as_of)s)""",
            profile_column=SQL.identifier(profile_column),
            column=SQL.identifier(column),
            table=SQL.identifier(table),
            value=value,
            since=since,
            as_of=as_of,
        )

    def _tier_at_risk_condition(self, as_of, partner_ids):
        """Members of the batch below their tier's keep threshold while the
        yearly review is near (crm_loyalty's warning days): the customers
        its reminder email is about."""
        # sudo: the night reads every member's tier and qualifying activity,
        # whoever runs it.
        Tier = self.env["crm.loyalty.tier"].sudo().with_company(self.company_id)
        period_end = Tier._warning_period_end(self.company_id, as_of)
        if not period_end:
            return None
        domain = [("id", "in", list(partner_ids)), ("loyalty_tier_id", "!=", False)]
        if self.trigger_tier_id:
            domain = [*domain[:1], ("loyalty_tier_id", "=", self.trigger_tier_id.id)]
        members = (
            self.env["res.partner"].sudo().with_company(self.company_id).search(domain)
        )
        at_risk, _metrics = Tier._members_at_risk(
            self.company_id, as_of, period_end, members
        )
        return SQL("pr.partner_id = ANY(%s)", at_risk.ids)

    def _trigger_condition_other(self, as_of, since, partner_ids):
        """Hook: the condition of a trigger another addon adds (None: the
        trigger takes nobody tonight)."""
        return

    def _enrol(self, partner_ids, as_of):
        """Enter the customers of ``partner_ids`` (commercial partners) the
        trigger takes tonight and the audience holds; returns the new
        participants. One query for the trigger and what the entry records,
        one search for the audience."""
        self.ensure_one()
        condition = self._trigger_condition(as_of, partner_ids)
        if condition is None or not partner_ids:
            return self.env["crm.journey.participant"]
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT pr.partner_id, pr.order_count, pr.historic_clv
                  FROM crm_lifecycle_profile pr
                  JOIN res_partner rp ON rp.id = pr.partner_id
                 WHERE pr.company_id = %(company)s
                   AND pr.partner_id = ANY(%(partners)s)
                   AND rp.active
                   AND NOT COALESCE(rp.lifecycle_no_marketing, FALSE)
                   AND %(condition)s
                   AND NOT EXISTS (
                       SELECT 1 FROM crm_journey_participant p
                        WHERE p.journey_id = %(journey)s
                          AND p.partner_id = pr.partner_id
                          AND (p.state IN ('running', 'waiting')
                               OR p.entered_on > %(period_start)s))
                """,
                company=self.company_id.id,
                partners=int_array(partner_ids),
                condition=condition,
                journey=self.id,
                period_start=as_of - timedelta(days=self.period_days),
            )
        )
        if not rows:
            return self.env["crm.journey.participant"]
        facts = {row[0]: row for row in rows}
        domain = self._audience_domain()
        if domain:
            kept = set(
                self.env["res.partner"]
                .with_company(self.company_id)
                .search([("id", "in", list(facts)), *domain])
                .ids
            )
        else:
            kept = set(facts)
        first = self.step_ids.sorted("sequence")[:1]
        vals_list = []
        for partner_id in sorted(kept):
            _pid, order_count, value = facts[partner_id]
            control = stats.in_control_group(self.id, partner_id, self.control_share)
            vals_list.append(
                {
                    "journey_id": self.id,
                    "partner_id": partner_id,
                    "company_id": self.company_id.id,
                    "entered_on": as_of,
                    "is_control": control,
                    "state": "waiting" if control or not first else "running",
                    "step_id": False if control else first.id,
                    "next_date": as_of,
                    "order_count_at_entry": order_count or 0,
                    "value_at_entry": value or 0.0,
                }
            )
        return self.env["crm.journey.participant"].create(vals_list)

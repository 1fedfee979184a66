from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, ormcache

from ..tools import ledger, multipliers

MAX_FACTOR = multipliers.MAX_FACTOR
# Expiry dates and reminders beyond these are out of Python's date range.
MAX_EXPIRY_MONTHS = 1200
MAX_REMINDER_DAYS = 365


class LoyaltyProgram(models.Model):
    _inherit = "loyalty.program"

    crm_ledger_managed = fields.Boolean(
        "Points ledger",
        default=True,
        help="Every change of a card's points is an entry of an append-only "
        "ledger, earned points are lots that expire by the policy below, and "
        "spending consumes the lots that expire first. Only for loyalty cards.",
    )
    crm_expiry_policy = fields.Selection(
        [
            ("never", "Never"),
            ("months", "After a number of months"),
            ("year_end", "At the end of the year"),
        ],
        string="Points expire",
        default="months",
        required=True,
    )
    crm_expiry_months = fields.Integer("Expire after (months)", default=12)
    crm_refund_policy = fields.Selection(
        [
            ("cap", "Take what is left and flag the shortfall"),
            ("negative", "Allow a negative balance"),
        ],
        string="When refunded points were already spent",
        default="cap",
        required=True,
        help="A credit note or a cancellation takes back the points its order "
        "earned. If the customer already spent them, either take what is left "
        "(the entry records the shortfall) or let the balance go negative; "
        "a negative balance is paid back by the next points earned.",
    )

    crm_expiry_reminder_days = fields.Integer(
        "Remind before expiry (days)",
        default=30,
        help="Customers get an email this many days before points expire; "
        "0 switches the reminder off.",
    )
    crm_birthday_mail = fields.Boolean(
        "Birthday email",
        default=True,
        help="On the first day of their birthday month, members get an email "
        "about the birthday multiplier.",
    )
    crm_member_day_kind = fields.Selection(
        [
            ("none", "None"),
            ("weekday", "A day of the week"),
            ("monthday", "A day of the month"),
        ],
        string="Member day",
        default="none",
        required=True,
    )
    crm_member_weekday = fields.Selection(
        [
            ("0", "Monday"),
            ("1", "Tuesday"),
            ("2", "Wednesday"),
            ("3", "Thursday"),
            ("4", "Friday"),
            ("5", "Saturday"),
            ("6", "Sunday"),
        ],
        string="Member weekday",
        default="2",
    )
    crm_member_monthday = fields.Integer("Member day of the month", default=1)
    crm_member_day_factor = fields.Float("Member day multiplier", default=2.0)
    crm_birthday_factor = fields.Float(
        "Birthday month multiplier",
        default=3.0,
        help="Applies during the customer's birthday month (field Birthday on the "
        "contact). 1 switches it off.",
    )
    crm_stacking = fields.Selection(
        [("multiply", "Multiply them"), ("max", "Take the highest")],
        string="When several multipliers apply",
        default="multiply",
        required=True,
    )
    crm_campaign_ids = fields.One2many(
        "crm.loyalty.campaign", "program_id", string="Campaigns"
    )
    crm_greeting_ids = fields.One2many(
        "crm.loyalty.greeting", "program_id", string="Greetings"
    )
    crm_behaviour_ids = fields.One2many(
        "crm.loyalty.behaviour",
        "program_id",
        string="Behaviour points",
        context={"active_test": False},
    )

    @api.constrains(
        "crm_member_monthday", "crm_member_day_factor", "crm_birthday_factor"
    )
    def _check_crm_multipliers(self):
        for program in self:
            if not 1 <= program.crm_member_monthday <= 31:
                raise ValidationError(
                    self.env._("The member day of the month must be between 1 and 31.")
                )
            if program.crm_member_day_factor < 1 or program.crm_birthday_factor < 1:
                raise ValidationError(self.env._("Multipliers cannot be lower than 1."))
            # Written so that NaN and infinities are refused too.
            if not (
                program.crm_member_day_factor <= MAX_FACTOR
                and program.crm_birthday_factor <= MAX_FACTOR
            ):
                raise ValidationError(
                    self.env._("Multipliers cannot exceed %(max)s.", max=MAX_FACTOR)
                )

    def _crm_multiplier(self, partner, day, company=None, member=None):
        """Overall earn factor for ``partner`` on ``day`` and its explanation
        (member day, birthday month, campaigns and the member's tier) as
        ``(label, factor)`` pairs in this environment's language."""
        factor, factors = self._crm_multiplier_factors(partner, day, company, member)
        Entry = self.env["crm.loyalty.entry"]
        labels = {
            "member_day": self.env._("member day"),
            "birthday": self.env._("birthday month"),
        }
        return factor, [
            (
                labels.get(item["kind"]) or Entry._translated(item.get("name")),
                item["value"],
            )
            for item in factors
        ]

    def _crm_multiplier_factors(self, partner, day, company=None, member=None):
        """Overall earn factor for ``partner`` on ``day`` and the multipliers
        that make it, as stored with the earned entry: dicts of ``kind``
        (``member_day``, ``birthday``, ``campaign``, ``tier``), ``value`` and,
        for campaigns and tiers, ``name`` in every language, so that the
        entry is worded in its reader's language. ``member``, the
        ``(tier id, birthdate)`` of ``_crm_member_facts`` when the caller
        already read them."""
        self.ensure_one()
        company = company or self.company_id or self.env.company
        # The member's tier applies whoever confirms: only its id is read here,
        # its names and multiplier come from the company's cached tiers.
        tier_id, birthdate = (
            member if member is not None else self._crm_member_facts(partner, company)
        )
        names = {"tier": [], "campaign": []}
        extra = []
        for tier in self.env["crm.loyalty.tier"]._company_tiers(company.id):
            if tier.id == tier_id and tier.multiplier > 1:
                names["tier"].append(tier.names)
                extra.append((("tier", len(names["tier"]) - 1), tier.multiplier))
        if isinstance(self.id, int):
            campaigns = self.env["crm.loyalty.campaign"]._for_program(self.id)
        else:  # a program being edited
            campaigns = tuple(
                ({self.env.lang or "en_US": c.name}, c.date_from, c.date_to, c.factor)
                for c in self.crm_campaign_ids
            )
        labelled = []
        for campaign_names, date_from, date_to, factor in campaigns:
            names["campaign"].append(campaign_names)
            labelled.append(
                (("campaign", len(names["campaign"]) - 1), date_from, date_to, factor)
            )
        rules = multipliers.MultiplierRules(
            member_day_kind=self.crm_member_day_kind,
            member_day=(
                int(self.crm_member_weekday or 0)
                if self.crm_member_day_kind == "weekday"
                else self.crm_member_monthday
            ),
            member_day_factor=self.crm_member_day_factor,
            birthday_factor=self.crm_birthday_factor,
            stacking=self.crm_stacking,
            campaigns=tuple(labelled),
        )
        found = multipliers.applicable(rules, day, birthdate, extra)
        factor, used = multipliers.combine(found, self.crm_stacking)
        factors = []
        for label, value in used:
            if isinstance(label, tuple):
                kind, index = label
                factors.append(
                    {"kind": kind, "name": names[kind][index], "value": value}
                )
            else:
                factors.append({"kind": label, "value": value})
        return factor, factors

    @api.model
    def _crm_member_facts(self, partner, company):
        """The member's tier id in ``company`` and birthdate (the customer's,
        else the contact's), read in one statement: through the ORM they
        cost two reads of the partner (its whole row, then its
        company-dependent fields) on every order confirmation. Unsaved
        partners (an order being edited) are read through the ORM."""
        if not partner:
            return None, None
        if not isinstance(partner.id, int) or self._crm_member_cached(partner, company):
            customer = partner.commercial_partner_id
            return (
                customer.with_company(company).sudo().loyalty_tier_id.id,
                customer.birthdate_date or partner.birthdate_date,
            )
        rows = self.env.execute_query(self._crm_member_query(partner, company))
        return rows[0] if rows else (None, None)

    @api.model
    def _crm_member_query(self, partner, company):
        """The statement of ``_crm_member_facts`` for a saved partner: its
        tier id in ``company`` and birthdate, as columns ``tier_id`` and
        ``birthdate`` (order confirmations read it with the order's posted
        keys, ``sale.order._crm_loyalty_posted``)."""
        self.env["res.partner"].flush_model(
            ["commercial_partner_id", "loyalty_tier_id", "birthdate_date"]
        )
        return SQL(
            """
            SELECT (c.loyalty_tier_id ->> %s)::int AS tier_id,
                   COALESCE(c.birthdate_date, p.birthdate_date) AS birthdate
              FROM res_partner p
              JOIN res_partner c ON c.id = COALESCE(p.commercial_partner_id, p.id)
             WHERE p.id = %s
            """,
            str(company.id),
            partner.id,
        )

    def _crm_member_cached(self, partner, company):
        """Whether the ORM already holds what ``_crm_member_facts`` reads (a
        form, or a second order in the same transaction): then it costs no
        query at all."""
        cache, fields_ = self.env.cache, partner._fields
        if not cache.contains(partner, fields_["commercial_partner_id"]):
            return False
        customer = partner.commercial_partner_id
        return (
            cache.contains(partner, fields_["birthdate_date"])
            and cache.contains(customer, fields_["birthdate_date"])
            and cache.contains(
                customer.with_company(company).sudo(), fields_["loyalty_tier_id"]
            )
        )

    @api.constrains(
        "crm_expiry_policy", "crm_expiry_months", "crm_expiry_reminder_days"
    )
    def _check_crm_expiry(self):
        for program in self:
            if program.crm_expiry_policy == "months" and program.crm_expiry_months <= 0:
                raise ValidationError(
                    self.env._("Points must expire after a positive number of months.")
                )
            if (
                program.crm_expiry_months > MAX_EXPIRY_MONTHS
                or not 0 <= program.crm_expiry_reminder_days <= MAX_REMINDER_DAYS
            ):
                raise ValidationError(
                    self.env._(
                        "Points expire after at most %(months)s months, and the "
                        "reminder is sent at most %(days)s days before.",
                        months=MAX_EXPIRY_MONTHS,
                        days=MAX_REMINDER_DAYS,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        programs = super().create(vals_list)
        ledger_programs = programs.filtered(
            lambda p: p._crm_is_ledger() and not p.crm_behaviour_ids
        )
        if ledger_programs:
            self.env["crm.loyalty.behaviour"]._create_defaults(ledger_programs)
        return programs

    @api.model
    def _crm_load_demo_data(self, program_id=None, months=18, seed=7):
        """Demo ledger on the demo orders: see demo/demo_loader.py."""
        from ..demo import demo_loader

        return demo_loader.load(
            self.env, program_id=program_id, months=months, seed=seed
        )

    @api.model
    @ormcache()
    def _crm_milestone_program_ids(self):
        """Programs with a "when reaching" mail: every earning posts asks,
        few programs have one, and they change rarely (loyalty.mail drops
        the cache)."""
        # Which programs send mails is not a secret of the caller's: all
        # users share this cache.
        mails = (
            self.env["loyalty.mail"]
            .sudo()
            .search_fetch([("trigger", "=", "points_reach")], ["program_id"])
        )
        return frozenset(mails.program_id.ids)

    def _crm_is_ledger(self):
        self.ensure_one()
        return self.program_type == "loyalty" and self.crm_ledger_managed

    def _crm_expiry_date(self, earned_on):
        self.ensure_one()
        return ledger.expiry_date(
            self.crm_expiry_policy, self.crm_expiry_months, earned_on
        )

    def write(self, vals):
        if "crm_ledger_managed" in vals and not vals["crm_ledger_managed"]:
            # The rights first: whether a program has entries is nobody
            # else's business.
            self.check_access("write")
            posted = (
                self.env["crm.loyalty.entry"]
                .sudo()
                .search_count([("program_id", "in", self.ids)], limit=1)
            )
            if posted:
                raise ValidationError(
                    self.env._(
                        "This program already has ledger entries: its points stay "
                        "managed by the ledger."
                    )
                )
        switched_on = (
            self.filtered(lambda program: not program.crm_ledger_managed)
            if vals.get("crm_ledger_managed")
            else self.browse()
        )
        res = super().write(vals)
        switched_on._crm_open_ledger()
        return res

    def _crm_open_ledger(self):
        """Book the current balance of every card as its opening entry."""
        for program in self.filtered(lambda p: p._crm_is_ledger()):
            cards = self.env["loyalty.card"].search(
                [("program_id", "=", program.id), ("points", "!=", 0)]
            )
            for card in cards:
                balance = card.points
                # The balance is already on the card: record it without moving it.
                self.env["crm.loyalty.entry"]._post_opening(card, balance)

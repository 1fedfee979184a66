import json
import logging

from psycopg2 import errorcodes, errors

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, create_index, float_compare, float_round, formatLang
from odoo.tools.misc import format_date

from ..tools import ledger


class DuplicatePosting(errors.SerializationFailure):
    """A concurrent request posted the same key first.

    Its entry is invisible to this transaction's snapshot, so the request
    cannot answer with it; raised as a serialization failure, the request is
    rolled back and retried by Odoo, and the retry finds the entry and
    answers as the first request did (the promise of every idempotent entry
    point: a retried call returns the first result, it is never refused).
    """

    # The code Odoo's retry loop reads and logs; an exception raised from
    # Python carries none of its own.
    pgcode = errorcodes.SERIALIZATION_FAILURE


ENTRY_TYPES = [
    ("earn", "Earned"),
    ("redeem", "Redeemed"),
    ("expire", "Expired"),
    ("adjust", "Adjustment"),
    ("reversal", "Reversal"),
    ("behaviour", "Behaviour"),
    ("bonus", "Bonus"),
]
# Negative entries of these types are refused when the balance is too small;
# a reversal of earned points takes what is left and records the shortfall.
STRICT_TYPES = {"redeem", "adjust", "expire", "behaviour", "bonus"}
POSTING = "crm_loyalty_posting"
# The weekly reconciliation checks this many cards per cron call, and keeps
# the id of the next card to check in this system parameter. A slice reads
# its cards' entries and lots through their indexes, at a cost per card that
# grows with the ledger: the slice keeps each call well under the 10 s a
# cron call may take at a million customers (docs/BENCHMARKS.md, the weekly
# ledger audit).
RECONCILE_BATCH = 15000
RECONCILE_NEXT_CARD = "crm_loyalty.reconcile_next_card"
MAX_POINTS = ledger.MAX_POINTS
# Entries and lots store points in cents at most; what the service posts
# is rounded first to the points' own precision (see _round_points).
POINT_DIGITS = 2
# The decimal accuracy of loyalty points (data/decimal_precision_data.xml):
# 0 by default, whole points. Every field and text of the suite that shows
# points uses it: texts through _format_points, fields through
# show_points_by_precision.
POINTS_PRECISION = "Loyalty Points"


def show_points_by_precision(model, descriptions, attributes, names):
    """``fields_get`` of ``model`` with the points fields ``names`` shown by
    the points' precision in every view (lists, pivots, forms).

    Only what views show changes: the fields keep storing and reading cents
    (``digits=(16, 2)``). Digits on the fields themselves would round what
    the ORM reads and writes, so that an entry posted before whole points,
    or under another precision, could no longer be reversed exactly.
    """
    if attributes and "digits" not in attributes:
        return descriptions
    digits = model.env["decimal.precision"].precision_get(POINTS_PRECISION)
    for name in names:
        if name in descriptions:
            descriptions[name]["digits"] = (16, digits)
    return descriptions


# Points awarded by the program (earned, behaviour, bonus) are rounded down
# to that precision, as Odoo rounds the points its rules compute: a member
# never gets a fraction he did not earn. Other amounts round half up.
AWARD_TYPES = {"earn", "behaviour", "bonus"}

_logger = logging.getLogger(__name__)


class CrmLoyaltyEntry(models.Model):
    """One movement of a loyalty card's points.

    Entries are append-only: nothing edits or deletes them, corrections are
    new entries. ``loyalty.card.points`` always equals the sum of the card's
    entries because the only code that changes it is :meth:`_post`, in the
    same transaction as the entry.
    """

    _name = "crm.loyalty.entry"
    _description = "Loyalty Ledger Entry"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char("Reference", compute="_compute_name")
    entry_type = fields.Selection(ENTRY_TYPES, "Type", required=True, readonly=True)
    points = fields.Float(required=True, readonly=True, digits=(16, POINT_DIGITS))
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    card_id = fields.Many2one(
        "loyalty.card", required=True, readonly=True, index=True, ondelete="restrict"
    )
    program_id = fields.Many2one("loyalty.program", required=True, readonly=True)
    # Indexed by crm_loyalty_entry_partner_idx (see init), which covers the
    # nightly readers.
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    source_model = fields.Char(readonly=True)
    source_id = fields.Many2oneReference(model_field="source_model", readonly=True)
    source_key = fields.Char(
        required=True,
        readonly=True,
        help="Identifies the event that posted the entry; an event is posted once.",
    )
    reason = fields.Char(
        "Typed reason",
        readonly=True,
        help="The reason as typed by whoever posted the entry (manual "
        "adjustments), or as written before reasons were stored as codes.",
    )
    reason_code = fields.Char(
        readonly=True,
        help="What posted the entry (order, expiry...); with the values in "
        "Reason values, it is worded in the reader's language when shown.",
    )
    reason_params = fields.Json("Reason values", readonly=True)
    reason_display = fields.Char(
        "Reason",
        compute="_compute_reason_display",
        search="_search_reason_display",
    )
    user_id = fields.Many2one("res.users", "Posted by", readonly=True)
    reversed_entry_id = fields.Many2one(
        "crm.loyalty.entry", "Reverses", readonly=True, index="btree_not_null"
    )
    shortfall = fields.Float(
        readonly=True,
        digits=(16, POINT_DIGITS),
        help="Points this entry should have taken but the balance did not hold.",
    )
    lot_id = fields.Many2one("crm.loyalty.lot", readonly=True)
    expiry_date = fields.Date(related="lot_id.expiry_date")
    allocation_ids = fields.One2many(
        "crm.loyalty.allocation", "entry_id", readonly=True
    )

    _sql_constraints = [
        (
            "source_key_uniq",
            "UNIQUE(source_key)",
            "This event has already been posted to the points ledger.",
        ),
    ]

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        return show_points_by_precision(
            self,
            super().fields_get(allfields, attributes),
            attributes,
            ("points", "shortfall"),
        )

    def init(self):
        # Every order confirmation and cancellation looks up the order's
        # entries: without this, a scan of the whole ledger each time.
        create_index(
            self.env.cr,
            "crm_loyalty_entry_source_idx",
            self._table,
            ["source_id", "source_model"],
            where="source_id IS NOT NULL",
        )
        # The tier metrics on points earned (and the nightly steps of other
        # addons) read the entries of a batch of customers at once. One
        # customer's entries lie scattered over years of an append-only
        # table, so through a plain index on partner_id each entry costs a
        # page of the table; this index holds what those readers need, in
        # customer order, for index-only scans. It replaces
        # the plain index that partner_id had (Odoo keeps an index it no
        # longer expects, so it is dropped here).
        self.env.execute_query(
            SQL("DROP INDEX IF EXISTS crm_loyalty_entry__partner_id_index")
        )
        self.env.execute_query(
            SQL(
                "CREATE INDEX IF NOT EXISTS crm_loyalty_entry_partner_idx"
                " ON crm_loyalty_entry (partner_id)"
                " INCLUDE (company_id, entry_type, date, points)"
            )
        )

    def _compute_name(self):
        for entry in self:
            entry.name = f"LE/{entry.id:06d}" if entry.id else "/"

    @api.depends("reason", "reason_code", "reason_params")
    @api.depends_context("lang", "tz")
    def _compute_reason_display(self):
        """Worded for whoever reads: in their language, dates in their time
        zone and format, points by the ledger's precision. Entries posted
        before codes are read back as the code their text stands for
        (tools.ledger.legacy_reason); a manager's typed reason shows as typed."""
        for entry in self:
            code, params = entry.reason_code, entry.reason_params or {}
            if not code:
                code, params = ledger.legacy_reason(entry.reason) or (None, None)
            entry.reason_display = (
                self._reason_text(code, params) if code else entry.reason or ""
            )

    def _search_reason_display(self, operator, value):
        # The values hold the documents' names (orders, credit notes) and the
        # names of behaviours and campaigns in every language.
        domain = ["|", ("reason", operator, value), ("reason_params", operator, value)]
        if operator in ("not ilike", "not like", "!=", "not in"):
            domain = [
                "&",
                ("reason", operator, value),
                ("reason_params", operator, value),
            ]
        return domain

    # ------------------------------------------------------------------
    # Wording: reasons and points, in the reader's language and format
    # ------------------------------------------------------------------

    @api.model
    def _reason_text(self, code, params):
        """The text of reason ``code`` with its ``params``, in this
        environment's language. Other addons add codes by extending it."""
        _ = self.env._
        if code == "order":
            return _("Order %(order)s", order=params.get("order", ""))
        if code == "order_earn":
            return _(
                "%(reason)s: %(detail)s",
                reason=_("Order %(order)s", order=params.get("order", "")),
                detail=self._explain_points(
                    params.get("base", 0.0),
                    params.get("points", 0.0),
                    params.get("factors", []),
                ),
            )
        if code == "order_cancel":
            return _("Order %(order)s cancelled", order=params.get("order", ""))
        if code == "expire":
            return _(
                "Points earned on %(date)s expired",
                date=self._format_moment(params.get("earned_on")),
            )
        if code == "initial":
            return _("Initial balance")
        if code == "opening":
            return _("Opening balance")
        if code == "direct":
            return _("Balance changed directly")
        if code == "mall":
            return _(
                "Points mall: %(reward)s",
                reward=self._translated(params.get("name")),
            )
        if code == "behaviour":
            name = self._translated(params.get("name"))
            note = params.get("note")
            return _("%(name)s: %(note)s", name=name, note=note) if note else name
        if code == "credit_note":
            return _(
                "Credit note %(move)s refunds %(share)s%% of order %(order)s",
                move=params.get("move", ""),
                share=formatLang(self.env, params.get("share", 0.0), digits=1),
                order=params.get("order", ""),
            )
        return params.get("text") or code

    @api.model
    def _translated(self, names):
        """A name stored in every language (``{lang: name}``, the value of a
        translated field) in this environment's language."""
        if not isinstance(names, dict):
            return names or ""
        return (
            names.get(self.env.lang or "en_US")
            or names.get("en_US")
            or next(iter(names.values()), "")
        )

    @api.model
    def _format_moment(self, value):
        """The day of a stored UTC date and time, in the reader's time zone
        and date format."""
        moment = fields.Datetime.to_datetime(value)
        if not moment:
            return ""
        tz = self.env.context.get("tz") or self.env.user.tz
        day = fields.Datetime.context_timestamp(self.with_context(tz=tz), moment)
        return format_date(self.env, day.date())

    @api.model
    def _point_digits(self):
        return self.env["decimal.precision"].precision_get(POINTS_PRECISION)

    @api.model
    def _round_points(self, points, method="HALF-UP"):
        """``points`` rounded to the ledger's precision (whole points by
        default)."""
        return float_round(
            points, precision_digits=self._point_digits(), rounding_method=method
        )

    @api.model
    def _check_point_precision(self, points):
        """Refuse a number of points that the ledger's precision cannot hold
        (a fraction of a point where points are whole): posting it would
        round it silently."""
        # Written so that NaN and infinities are refused too, before rounding.
        if not abs(points) <= MAX_POINTS:
            raise ValidationError(
                self.env._(
                    "%(points)s points cannot be posted: one ledger entry moves at "
                    "most %(max)s points.",
                    points=points,
                    max=MAX_POINTS,
                )
            )
        digits = self._point_digits()
        if (
            float_compare(
                points,
                float_round(points, precision_digits=digits),
                precision_digits=POINT_DIGITS + 2,
            )
            != 0
        ):
            if digits:
                raise ValidationError(
                    self.env._(
                        "Points have at most %(digits)s decimal(s): %(points)s "
                        "cannot be posted.",
                        digits=digits,
                        points=points,
                    )
                )
            raise ValidationError(
                self.env._(
                    "Points are counted in whole points: %(points)s cannot be posted.",
                    points=points,
                )
            )

    @api.model
    def _format_points(self, points, signed=False):
        """The one way the suite writes a number of points for people: the
        ledger's precision and the reader's thousands and decimal separators
        (1,200 in English). ``signed`` adds a plus to positive numbers."""
        text = formatLang(
            self.env, points or 0.0, dp=POINTS_PRECISION, rounding_method="HALF-UP"
        )
        if signed and self._round_points(points or 0.0) > 0:
            return f"+{text}"
        return text

    @api.model
    def _explain_points(self, base, points, factors):
        """How the points of an order were counted, e.g.
        ``120 x 2 (member day) = 240 points``; ``factors`` as stored by
        ``loyalty.program._crm_multiplier_factors``."""
        _ = self.env._
        labels = {"member_day": _("member day"), "birthday": _("birthday month")}
        if not factors:
            return _("%(points)s points", points=self._format_points(points))
        return _(
            "%(base)s x %(factors)s (%(why)s) = %(points)s points",
            base=self._format_points(base),
            factors=" x ".join(f"{factor['value']:g}" for factor in factors),
            why=", ".join(
                labels.get(factor["kind"]) or self._translated(factor.get("name"))
                for factor in factors
            ),
            points=self._format_points(points),
        )

    # ------------------------------------------------------------------
    # Immutability
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get(POSTING):
            raise UserError(
                self.env._(
                    "Ledger entries are posted by the loyalty ledger only; use an "
                    "adjustment to change a balance."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        if self:
            raise UserError(
                self.env._(
                    "Posted ledger entries cannot be changed; post a correcting entry."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._(
                "Posted ledger entries cannot be deleted; post a correcting entry."
            )
        )

    # ------------------------------------------------------------------
    # The service: every change of a ledger card's points comes through here
    # ------------------------------------------------------------------

    @api.model
    def _post(
        self,
        card,
        entry_type,
        points,
        key,
        reason=False,
        source=None,
        reverses=None,
        date=None,
        new_key=False,
        reason_code=None,
        reason_params=None,
    ):
        """Post one entry and move the card's balance and lots with it.

        Returns the entry, or the existing one when ``key`` was already posted
        (a retried request or cron changes nothing). ``new_key`` says that the
        caller looked for ``key`` in this transaction and did not find it,
        which spares the lookup (order confirmations look up all of the
        order's keys at once). The unique key still refuses a concurrent
        duplicate. Runs as superuser: the callers check the user's rights
        (wizards, order hooks, crons).

        ``reason`` is a text kept as it is (a manager's typed reason);
        ``reason_code`` and ``reason_params`` (JSON values) store what the
        entry is about instead, worded when shown in the reader's language
        (see :meth:`_reason_text`).

        ``points`` are rounded to the ledger's precision (whole points by
        default): down for points the program awards (``AWARD_TYPES``), half
        up otherwise, except a reversal of a whole entry, which takes back
        exactly what the entry moved.
        """
        card.ensure_one()
        # Written so that NaN and infinities are refused too.
        if not abs(points) <= MAX_POINTS:
            raise UserError(
                self.env._(
                    "%(points)s points cannot be posted: one ledger entry moves at "
                    "most %(max)s points.",
                    points=points,
                    max=MAX_POINTS,
                )
            )
        if not (
            entry_type == "reversal"
            and reverses
            and float_compare(
                abs(points), abs(reverses.points), precision_digits=POINT_DIGITS
            )
            == 0
        ):
            points = self._round_points(
                points, "DOWN" if entry_type in AWARD_TYPES else "HALF-UP"
            )
        if reason_code:
            reason = (reason_code, reason_params or {})
        return (
            self.sudo()
            .with_context(**{POSTING: True})
            ._post_as_ledger(
                card, entry_type, points, key, reason, source, reverses, date, new_key
            )
        )

    def _post_as_ledger(
        self,
        card,
        entry_type,
        points,
        key,
        reason,
        source,
        reverses,
        date,
        new_key=False,
    ):
        if not new_key:
            existing = self.search([("source_key", "=", key)], limit=1)
            if existing:
                return existing
        # The card moves by what the entry records: 0.004 points would move
        # the balance and leave the entry and the lot at zero.
        points = float_round(points, precision_digits=POINT_DIGITS)
        # A reason is a typed text, or a code and its values (see _post).
        reason_code, reason_params = (
            reason if isinstance(reason, tuple) else (False, False)
        )
        if reason_code:
            reason = False
        program = card.program_id
        date = date or fields.Datetime.now()
        shortfall = 0.0
        # Earned points open a lot, in the statement that inserts their
        # entry; when the caller already looked the key up (an order
        # confirmation, whose order row is locked first), that statement
        # moves the card too: one query less on every confirmation.
        # Elsewhere the card row is locked first, so that a concurrent post
        # of the same key waits and retries here.
        opens_lot = points > 0 and not (reverses and reverses.points < 0)
        balance = None
        if points >= 0:
            if not (opens_lot and new_key):
                balance = self._bump_card(card, points)
        elif entry_type in STRICT_TYPES:
            balance = self._take_from_card(card, -points)
            if balance is None:
                raise UserError(
                    self.env._(
                        "Card %(card)s holds %(balance)s points; %(points)s cannot "
                        "be taken from it.",
                        card=card.code,
                        balance=self._locked_balance(card),
                        points=-points,
                    )
                )
        elif program.crm_refund_policy == "negative":
            balance = self._bump_card(card, points)
        else:
            held = self._locked_balance(card)
            taken = min(-points, max(held, 0.0))
            shortfall = round(-points - taken, 6)
            points = -taken
            balance = self._bump_card(card, points)
        vals = {
            "entry_type": entry_type,
            "points": points,
            "date": date,
            "card_id": card.id,
            "program_id": program.id,
            "partner_id": card.partner_id.id,
            "company_id": card.company_id.id or self.env.company.id,
            "source_model": source._name if source else False,
            "source_id": source.id if source else False,
            "source_key": key,
            "reason": reason,
            "reason_code": reason_code,
            "reason_params": reason_params,
            "user_id": self.env.uid,
            "reversed_entry_id": reverses.id if reverses else False,
            "shortfall": shortfall,
        }
        entry, opened = self._insert(vals, program, opens_lot, new_key)
        if opens_lot and new_key:
            balance = opened
        if not opens_lot:
            if points > 0:
                entry._restore_allocations(reverses)
            elif points < 0:
                entry._consume_lots(
                    -points, first_lot=reverses.lot_id if reverses else None
                )
        if balance is None:
            card.invalidate_recordset(["points"])
        else:
            # The statement that moved the balance returned it: no reread.
            self.env.cache.set(card, card._fields["points"], balance)
            card.invalidate_recordset(["points_display"])
        if points > 0 and balance is not None:
            card.with_env(self.env)._crm_points_reached(balance - points, balance)
        return entry

    def _insert(self, vals, program, opens_lot, new_key):
        """Insert the entry (with its lot when it opens one): ``(entry, the
        card's new balance when the statement moved it)``. A key a concurrent
        request posted first makes the request retry (DuplicatePosting)."""
        try:
            if opens_lot:
                return self._post_earning(vals, program, bump=new_key)
            return self.create(vals), None
        except errors.UniqueViolation as error:
            if error.diag.constraint_name != f"{self._table}_source_key_uniq":
                raise
            raise DuplicatePosting(
                f"Ledger key {vals['source_key']} was posted by a concurrent request"
            ) from error

    @api.model
    def _earning(self, points, factor):
        """The points a program counts, then multiplied, each rounded down
        to the ledger's precision (whole points by default): what a
        quotation announces, the entry posts and its reason explains,
        e.g. 120 x 2 = 240."""
        base = self._round_points(points, "DOWN")
        return base, self._round_points(base * factor, "DOWN")

    @api.model
    def _post_order_earning(
        self, card, earned, key, source, reason, partner, day, member, new_key=False
    ):
        """Post what order ``source`` (a quotation, a sale at the till) earned
        on ``card``: the points its program counts times ``partner``'s
        multipliers on ``day``, with a reason that says why. Nothing when
        that rounds to zero. ``member`` as for ``_crm_multiplier_factors``."""
        factor, factors = card.program_id._crm_multiplier_factors(
            partner, day, source.company_id, member=member
        )
        base, points = self._earning(earned, factor)
        if not points:
            return self.browse()
        return self._post(
            card,
            "earn",
            points,
            key,
            source=source,
            new_key=new_key,
            reason_code="order_earn" if factors else "order",
            reason_params=(
                {**reason, "base": base, "points": points, "factors": factors}
                if factors
                else reason
            ),
        )

    @api.model
    def _claw_back(self, order, share, refund, key, reason_code, reason_params):
        """Take back ``share`` (0 to 1) of the points ``order`` earned, card
        by card, as entries of ``refund`` (a credit note, a refund at the
        till...) keyed ``key:card:<id>``: a refund posted again takes
        nothing twice, and what earlier refunds took back is never taken
        again. ``reason_params`` get the share in percent."""
        earned = self.search(
            [
                ("source_model", "=", order._name),
                ("source_id", "=", order.id),
                ("entry_type", "=", "earn"),
            ]
        )
        posted = self.browse()
        for card in earned.card_id:
            card_entries = earned.filtered(lambda e, c=card: e.card_id == c)
            card_earned = sum(card_entries.mapped("points"))
            taken = -sum(
                self.search(
                    [
                        ("card_id", "=", card.id),
                        ("entry_type", "=", "reversal"),
                        ("reversed_entry_id", "in", card_entries.ids),
                    ]
                ).mapped(lambda e: e.points - e.shortfall)
            )
            points = min(round(card_earned * share, 2), card_earned - taken)
            if points <= 0:
                continue
            posted |= self._post(
                card,
                "reversal",
                -points,
                f"{key}:card:{card.id}",
                source=refund,
                reverses=card_entries[:1],
                # Worded when read, in the reader's language.
                reason_code=reason_code,
                reason_params={**reason_params, "share": round(share * 100, 1)},
            )
        return posted

    def _bump_card(self, card, points):
        """Move the card's balance by ``points``; returns the new balance."""
        [(balance,)] = self.env.execute_query(
            SQL(
                "UPDATE loyalty_card SET points = COALESCE(points, 0) + %s"
                " WHERE id = %s RETURNING points",
                points,
                card.id,
            )
        )
        return balance

    def _take_from_card(self, card, amount):
        """Update the card row first, then check: under REPEATABLE READ a
        lock alone would still let two spenders see the same old balance.
        Returns the new balance, or None when the card holds too little."""
        rows = self.env.execute_query(
            SQL(
                """
                UPDATE loyalty_card SET points = COALESCE(points, 0) - %(amount)s
                 WHERE id = %(card)s AND COALESCE(points, 0) - %(amount)s >= -0.000001
                RETURNING points
                """,
                amount=amount,
                card=card.id,
            )
        )
        return rows[0][0] if rows else None

    def _locked_balance(self, card):
        rows = self.env.execute_query(
            SQL(
                "UPDATE loyalty_card SET points = COALESCE(points, 0)"
                " WHERE id = %s RETURNING points",
                card.id,
            )
        )
        return rows[0][0]

    def _post_earning(self, vals, program, bump=False):
        """Insert the entry of these earned points (``vals``), open its lot
        and let the lot cover the card's debts (points taken while its
        balance was negative). Returns the entry and, with ``bump``, the
        card's new balance.

        One statement inserts the entry and its lot (the lot's id drawn
        first, so that each row names the other), reads the debts and, with
        ``bump``, adds the points to the card: every earning order
        confirmation runs it, and through the ORM it took five. The entry's
        only computed field (``name``) is not stored and neither table has
        defaults the ORM would fill: ``vals`` holds every column.
        """
        self.flush_model()
        self.env["crm.loyalty.allocation"].flush_model()
        date = vals["date"]
        [(entry_id, lot_id, debts, balance)] = self.env.execute_query(
            SQL(
                """
                WITH card AS (
                    UPDATE loyalty_card SET points = COALESCE(points, 0) + %(points)s
                     WHERE id = %(card)s AND %(bump)s
                    RETURNING points
                ), entry AS (
                    INSERT INTO crm_loyalty_entry
                           (entry_type, points, date, card_id, program_id,
                            partner_id, company_id, source_model, source_id,
                            source_key, reason, reason_code, reason_params,
                            user_id, reversed_entry_id,
                            shortfall, lot_id, create_uid, create_date,
                            write_uid, write_date)
                    VALUES (%(type)s, %(points)s, %(date)s, %(card)s, %(program)s,
                            %(partner)s, %(company)s, %(source_model)s,
                            %(source_id)s, %(key)s, %(reason)s, %(reason_code)s,
                            %(reason_params)s::jsonb, %(uid)s,
                            %(reverses)s, %(shortfall)s,
                            nextval('crm_loyalty_lot_id_seq'), %(uid)s,
                            now() AT TIME ZONE 'UTC', %(uid)s,
                            now() AT TIME ZONE 'UTC')
                    RETURNING id, lot_id
                ), lot AS (
                    INSERT INTO crm_loyalty_lot
                           (id, entry_id, card_id, program_id, partner_id,
                            company_id, date, expiry_date, points, remaining,
                            reminder_sent, create_uid, create_date, write_uid,
                            write_date)
                    SELECT entry.lot_id, entry.id, %(card)s, %(program)s,
                           %(partner)s, %(company)s, %(date)s, %(expiry)s,
                           %(points)s, %(points)s, FALSE, %(uid)s,
                           now() AT TIME ZONE 'UTC', %(uid)s,
                           now() AT TIME ZONE 'UTC'
                      FROM entry
                ), debts AS (
                    SELECT e.id, -e.points - COALESCE(SUM(a.points), 0) AS owed
                      FROM crm_loyalty_entry e
                      LEFT JOIN crm_loyalty_allocation a ON a.entry_id = e.id
                     WHERE e.card_id = %(card)s AND e.points < 0
                     GROUP BY e.id
                    HAVING -e.points - COALESCE(SUM(a.points), 0) > 0.000001
                )
                SELECT entry.id, entry.lot_id,
                       (SELECT json_agg(json_build_array(d.id, d.owed) ORDER BY d.id)
                          FROM debts d),
                       (SELECT points FROM card)
                  FROM entry
                """,
                type=vals["entry_type"],
                points=vals["points"],
                date=date,
                card=vals["card_id"],
                program=program.id,
                partner=vals["partner_id"] or None,
                company=vals["company_id"] or None,
                source_model=vals["source_model"] or None,
                source_id=vals["source_id"] or None,
                key=vals["source_key"],
                reason=vals["reason"] or None,
                reason_code=vals["reason_code"] or None,
                reason_params=(
                    json.dumps(vals["reason_params"])
                    if vals["reason_params"] is not False
                    else None
                ),
                uid=vals["user_id"],
                reverses=vals["reversed_entry_id"] or None,
                shortfall=vals["shortfall"],
                expiry=program._crm_expiry_date(fields.Date.to_date(date)) or None,
                bump=bool(bump),
            )
        )
        entry = self.browse(entry_id)
        self.env["loyalty.card"].browse(vals["card_id"]).invalidate_recordset(
            ["crm_entry_ids", "crm_lot_ids"]
        )
        entry._pay_debts(lot_id, vals["points"], debts or [])
        return entry, balance

    def _pay_debts(self, lot_id, available, debts):
        """Points taken while the balance was negative are covered by the
        next lot: allocate the uncovered part of earlier negative entries
        (``debts``: ``(entry id, points owed)``, oldest first)."""
        for entry_id, owed in debts:
            if available <= 0:
                break
            take = min(owed, available)
            self.browse(entry_id)._write_allocations([(lot_id, take)])
            available -= take

    def _consume_lots(self, amount, first_lot=None):
        """Take ``amount`` points from the card's lots, soonest expiry first
        (a reversal of earned points takes them from their own lot first)."""
        self.ensure_one()
        Lot = self.env["crm.loyalty.lot"]
        Lot.flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT id, expiry_date, remaining FROM crm_loyalty_lot
                 WHERE card_id = %s AND remaining > 0
                """,
                self.card_id.id,
            )
        )
        lots = [row for row in rows if not first_lot or row[0] != first_lot.id]
        plan = []
        if first_lot:
            own = next((row for row in rows if row[0] == first_lot.id), None)
            if own:
                take = min(own[2], amount)
                plan.append((own[0], take))
                amount -= take
        more, _shortfall = ledger.allocate(amount, lots)
        plan += more
        self._write_allocations(plan)

    def _restore_allocations(self, spend):
        """Give a reversed spend's points back to the lots it took them from."""
        self.ensure_one()
        plan = [(alloc.lot_id.id, -alloc.points) for alloc in spend.allocation_ids]
        self._write_allocations(plan)

    def _write_allocations(self, plan):
        plan = [(lot_id, points) for lot_id, points in plan if points]
        if plan:
            self._allocate(
                [self.id] * len(plan),
                [lot_id for lot_id, _points in plan],
                [points for _lot_id, points in plan],
            )
        self.invalidate_recordset(["allocation_ids"])

    @api.model
    def _allocate(self, entry_ids, lot_ids, points):
        """Take ``points[i]`` from lot ``lot_ids[i]`` for entry
        ``entry_ids[i]``: the allocation rows and the lots' remaining points
        in one statement."""
        self.env.execute_query(
            SQL(
                """
                WITH plan AS (
                    SELECT * FROM unnest(%(entries)s::int[], %(lots)s::int[],
                                         %(points)s::float8[])
                           AS p(entry_id, lot_id, points)
                ), moved AS (
                    UPDATE crm_loyalty_lot l SET remaining = l.remaining - plan.points
                      FROM plan WHERE l.id = plan.lot_id
                )
                INSERT INTO crm_loyalty_allocation
                       (entry_id, lot_id, points, create_uid, create_date,
                        write_uid, write_date)
                SELECT plan.entry_id, plan.lot_id, plan.points, %(uid)s,
                       now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM plan
                """,
                entries=list(entry_ids),
                lots=list(lot_ids),
                points=list(points),
                uid=self.env.uid,
            )
        )
        self.env["crm.loyalty.lot"].invalidate_model(["remaining"])

    @api.model
    def _post_opening(self, card, balance):
        """Opening entry for a card that already holds ``balance`` points
        when its program joins the ledger: the lot is opened, the card row
        is left as it is."""
        # The card held these points already: its "when reaching" mails
        # went out when it got them.
        Entry = self.sudo().with_context(**{POSTING: True, "loyalty_no_mail": True})
        key = f"loyalty.card:{card.id}:opening"
        if Entry.search_count([("source_key", "=", key)]):
            return
        Entry._bump_card(card, -balance)
        Entry._post_as_ledger(
            card,
            "adjust",
            balance,
            key,
            ("opening", {}),
            None,
            None,
            None,
        )

    @api.model
    def _next_adjust_number(self, card):
        """Adjustments have no natural source: number them per card. Two
        concurrent adjustments get the same number and the second is refused
        by the unique key instead of being applied twice."""
        self.flush_model()
        rows = self.env.execute_query(
            SQL(
                "SELECT COUNT(*) FROM crm_loyalty_entry"
                " WHERE card_id = %s AND source_key LIKE %s",
                card.id,
                f"loyalty.card:{card.id}:adjust:%",
            )
        )
        return rows[0][0] + 1

    # ------------------------------------------------------------------
    # Expiry and reconciliation
    # ------------------------------------------------------------------

    @api.model
    def _cron_expire(self, limit=5000):
        """Expire a batch of lapsed lots: see ``crm.loyalty.lot._cron_expire``."""
        return self.env["crm.loyalty.lot"]._cron_expire(limit=limit)

    def _expire_lots(self, lots):
        """Post the expiry of ``lots`` (rows of ``crm.loyalty.lot._cron_expire``'s
        query) in bulk."""
        totals = {}
        for _lot, card, _program, _partner, _company, points, _date in lots:
            totals[card] = totals.get(card, 0.0) + points
        # Lock the cards in a fixed order, then take the points: the same
        # row lock every spend takes, so a concurrent spend either finished
        # before this batch read the lots or waits for it.
        self.env.execute_query(
            SQL(
                "SELECT id FROM loyalty_card WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                list(totals),
            )
        )
        short = self.env.execute_query(
            SQL(
                """
                UPDATE loyalty_card c SET points = COALESCE(c.points, 0) - s.total
                  FROM unnest(%s::int[], %s::float8[]) AS s(card_id, total)
                 WHERE c.id = s.card_id
                RETURNING c.id, c.points
                """,
                list(totals),
                list(totals.values()),
            )
        )
        short = [card_id for card_id, points in short if points < -0.000001]
        if short:
            card = self.env["loyalty.card"].browse(short[0])
            raise UserError(
                self.env._(
                    "Card %(card)s holds fewer points than its lapsed lots; "
                    "reconcile the ledger before expiring them.",
                    card=card.code,
                )
            )
        keys = self._expiry_keys([row[0] for row in lots])
        entries = self.env.execute_query(
            SQL(
                """
                INSERT INTO crm_loyalty_entry
                       (entry_type, points, date, card_id, program_id, partner_id,
                        company_id, source_model, source_id, source_key,
                        reason_code, reason_params,
                        user_id, shortfall, lot_id, create_uid, create_date,
                        write_uid, write_date)
                SELECT 'expire', -s.points, now() AT TIME ZONE 'UTC', s.card_id,
                       s.program_id, s.partner_id, s.company_id, 'crm.loyalty.lot',
                       s.lot_id, s.source_key, 'expire',
                       jsonb_build_object('earned_on', s.earned_on),
                       %(uid)s, 0, NULL,
                       %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s,
                       now() AT TIME ZONE 'UTC'
                  FROM unnest(%(lots)s::int[], %(cards)s::int[], %(programs)s::int[],
                              %(partners)s::int[], %(companies)s::int[],
                              %(points)s::float8[], %(keys)s::varchar[],
                              %(dates)s::varchar[])
                       AS s(lot_id, card_id, program_id, partner_id, company_id,
                            points, source_key, earned_on)
                RETURNING id, source_id, -points
                """,
                uid=self.env.uid,
                lots=[row[0] for row in lots],
                cards=[row[1] for row in lots],
                programs=[row[2] for row in lots],
                partners=[row[3] for row in lots],
                companies=[row[4] for row in lots],
                points=[row[5] for row in lots],
                keys=[keys[row[0]] for row in lots],
                # The lot's date and time (UTC), worded in the reader's time
                # zone and language when shown.
                dates=[
                    fields.Datetime.to_string(row[6]) if row[6] else None
                    for row in lots
                ],
            )
        )
        self._allocate(
            [row[0] for row in entries],
            [row[1] for row in entries],
            [row[2] for row in entries],
        )
        self.env["loyalty.card"].invalidate_model(["points"])
        self.invalidate_model()

    def _expiry_keys(self, lot_ids):
        """One key per expiry of a lot. A lot normally expires once; a spend
        reversed after its lot lapsed gives points back to it, and their
        later expiry needs a key of its own."""
        keys = {lot_id: f"crm.loyalty.lot:{lot_id}:expire" for lot_id in lot_ids}
        taken = self.env.execute_query(
            SQL(
                "SELECT source_id FROM crm_loyalty_entry WHERE source_key = ANY(%s)",
                list(keys.values()),
            )
        )
        for (lot_id,) in taken:
            count = self.search_count(
                [
                    ("source_model", "=", "crm.loyalty.lot"),
                    ("source_id", "=", lot_id),
                    ("entry_type", "=", "expire"),
                ]
            )
            keys[lot_id] = f"crm.loyalty.lot:{lot_id}:expire:{count + 1}"
        return keys

    @api.model
    def _reconcile(self, card_ids=None, card_range=None):
        """Cards whose balance differs from their entries or their lots.

        balance = sum of entries = remaining points of the lots - points
        taken while the balance was negative and not yet covered by a lot.
        Checks every card, the given ``card_ids``, or the cards whose id is
        within ``card_range`` (first, last). Returns
        ``{card_id: (balance, sum of entries, sum of lots)}``.
        """
        self.env["loyalty.card"].flush_model(["points"])
        self.flush_model()
        self.env["crm.loyalty.lot"].flush_model()

        def cards(column):
            # The same condition on every table, so that a slice of cards
            # reads its own entries, lots and allocations through their
            # card_id indexes instead of aggregating the whole ledger.
            if card_ids:
                return SQL("AND %s = ANY(%s)", SQL.identifier(*column), list(card_ids))
            if card_range:
                return SQL(
                    "AND %s BETWEEN %s AND %s", SQL.identifier(*column), *card_range
                )
            return SQL()

        if card_ids or card_range:
            taken = SQL(
                """
                SELECT a.entry_id, SUM(a.points) AS taken
                  FROM crm_loyalty_allocation a
                  JOIN crm_loyalty_entry n ON n.id = a.entry_id
                 WHERE n.points < 0 %s
                 GROUP BY a.entry_id
                """,
                cards(("n", "card_id")),
            )
        else:  # every allocation: no join with the entries needed
            taken = SQL(
                "SELECT entry_id, SUM(points) AS taken"
                " FROM crm_loyalty_allocation GROUP BY entry_id"
            )
        rows = self.env.execute_query(
            SQL(
                """
                WITH taken AS (%(taken)s), e AS (
                    -- One pass over the ledger: the balance by its entries,
                    -- and what negative entries took beyond their lots.
                    SELECT n.card_id, SUM(n.points) AS total,
                           SUM(-n.points - COALESCE(a.taken, 0))
                               FILTER (WHERE n.points < 0) AS uncovered
                      FROM crm_loyalty_entry n
                      LEFT JOIN taken a ON a.entry_id = n.id
                     WHERE TRUE %(entry_cards)s
                     GROUP BY n.card_id
                ), l AS (
                    SELECT l.card_id, SUM(l.remaining) AS total
                      FROM crm_loyalty_lot l
                     WHERE TRUE %(lot_cards)s
                     GROUP BY l.card_id
                )
                SELECT c.id, COALESCE(c.points, 0),
                       COALESCE(e.total, 0), COALESCE(l.total, 0)
                  FROM loyalty_card c
                  JOIN loyalty_program p ON p.id = c.program_id
                  LEFT JOIN e ON e.card_id = c.id
                  LEFT JOIN l ON l.card_id = c.id
                 WHERE p.program_type = 'loyalty' AND p.crm_ledger_managed
                   %(card_cards)s
                   AND (abs(COALESCE(c.points, 0) - COALESCE(e.total, 0)) > 0.001
                        OR abs(COALESCE(e.total, 0)
                               - (COALESCE(l.total, 0) - COALESCE(e.uncovered, 0)))
                           > 0.001)
                """,
                taken=taken,
                entry_cards=cards(("n", "card_id")),
                lot_cards=cards(("l", "card_id")),
                card_cards=cards(("c", "id")),
            )
        )
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    def action_reconcile(self):
        """Managers' button: check every ledger card now and say what differs."""
        if not self.env.user.has_group("crm_loyalty.group_loyalty_manager"):
            raise UserError(self.env._("Only loyalty managers can run the check."))
        differences = self._reconcile()
        if differences:
            cards = self.env["loyalty.card"].browse(list(differences))
            message = self.env._(
                "%(count)s card(s) differ from their ledger: %(cards)s",
                count=len(differences),
                cards=", ".join(cards.mapped("code")[:20]),
            )
            kind = "danger"
        else:
            message = self.env._(
                "Every card's balance equals its entries and its remaining lots."
            )
            kind = "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Points ledger check"),
                "message": message,
                "type": kind,
                "sticky": bool(differences),
            },
        }

    @api.model
    def _cron_reconcile(self, batch_size=RECONCILE_BATCH):
        """Weekly audit: check the next slice of cards, by id, and log
        those that differ.

        Every posting keeps the invariant in its own transaction; the audit
        finds writes that bypassed the ledger. One statement over the whole
        ledger grows with it, longer than a cron call
        should hold its transaction. Where the check stands is kept in a
        system parameter: each call continues from there and tells the cron
        how many cards remain, so Odoo calls it again until every card was
        checked; the next week's check starts over. Slices cost more in all
        than one statement (each reads the ledger's pages again), which is
        why the audit runs weekly. Returns the differences of this slice.
        """
        # sudo: the position of the check is the cron's own state, in a
        # system parameter that only administrators may read or write.
        params = self.env["ir.config_parameter"].sudo()
        start = int(params.get_param(RECONCILE_NEXT_CARD) or 0)
        last, done = self.env.execute_query(
            SQL(
                """
                SELECT MAX(id), COUNT(*)
                  FROM (SELECT id FROM loyalty_card WHERE id >= %s
                         ORDER BY id LIMIT %s) s
                """,
                start,
                batch_size,
            )
        )[0]
        differences = self._reconcile(card_range=(start, last)) if done else {}
        remaining = self.env.execute_query(
            SQL("SELECT COUNT(*) FROM loyalty_card WHERE id > %s", last or start)
        )[0][0]
        params.set_param(RECONCILE_NEXT_CARD, last + 1 if remaining else 0)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if differences:
            _logger.error(
                "Loyalty ledger: %s card(s) differ from their entries: %s",
                len(differences),
                differences,
            )
        return differences

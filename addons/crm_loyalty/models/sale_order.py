from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from .loyalty_card import ORDER_FLOW


class SaleOrder(models.Model):
    _inherit = "sale.order"

    crm_loyalty_points_preview = fields.Char(
        "Loyalty points",
        compute="_compute_crm_loyalty_points_preview",
        help="Points this order earns on confirmation, and why.",
    )

    def _lifecycle_facts_index_includes(self):
        # Tier metrics on amounts spent or on orders
        # (crm.loyalty.tier._metrics_query) read a batch's orders from
        # crm_lifecycle's covering index of orders by customer, for
        # index-only scans.
        return [
            *super()._lifecycle_facts_index_includes(),
            "company_id",
            "state",
            "date_order",
            "amount_untaxed",
            "currency_rate",
        ]

    @api.depends(
        "order_line.product_id",
        "order_line.product_uom_qty",
        "order_line.price_subtotal",
        "order_line.price_total",
        "order_line.reward_id",
        "coupon_point_ids.points",
        "date_order",
        "partner_id",
        "pricelist_id",
        "company_id",
        "state",
    )
    @api.depends_context("lang")
    def _compute_crm_loyalty_points_preview(self):
        Entry = self.env["crm.loyalty.entry"]
        for order in self:
            texts = []
            earned = order._crm_loyalty_preview_points()
            day = order._crm_loyalty_day() if earned else None
            for program, points in earned.items():
                factor, factors = program._crm_multiplier_factors(
                    order.partner_id, day, order.company_id
                )
                base, total = order._crm_loyalty_earning(points, factor)
                texts.append(Entry._explain_points(base, total, factors))
            order.crm_loyalty_points_preview = "; ".join(texts)

    def _crm_loyalty_preview_points(self):
        """Points the order earns per ledger program before multipliers, as
        sale_loyalty will count them on confirmation.

        A quotation is read as it stands, lines being edited included:
        sale_loyalty fills the order's points (``coupon_point_ids``) only
        when rewards are updated or the order is confirmed, and doing that
        here would write cards and reward lines on every change of a line.
        ``_program_check_compute_points`` computes the same points from the
        lines without writing anything; the programs are those that would
        apply automatically, plus those already counted on the order. A
        confirmed order shows the points it booked.
        """
        self.ensure_one()
        if self.state == "cancel" or not self.partner_id:
            return {}
        if self.state == "sale":
            earned = defaultdict(float)
            for coupon_points in self.coupon_point_ids:
                program = coupon_points.coupon_id.program_id
                if program._crm_is_ledger():
                    earned[program] += coupon_points.points
            return {program: points for program, points in earned.items() if points}
        if not self._get_not_rewarded_order_lines():
            return {}
        programs = self.env["loyalty.program"].search(
            [
                *self._get_program_domain(),
                ("program_type", "=", "loyalty"),
                ("crm_ledger_managed", "=", True),
                ("trigger", "=", "auto"),
                ("rule_ids.mode", "=", "auto"),
            ]
        )
        programs |= self.coupon_point_ids.coupon_id.program_id.filtered(
            lambda program: program._crm_is_ledger()
        )
        if not programs:
            return {}
        earned = {}
        for program, status in self._program_check_compute_points(programs).items():
            points = sum(status.get("points") or []) if "error" not in status else 0
            if points:
                earned[program] = points
        return earned

    @api.model
    def _crm_loyalty_earning(self, points, factor):
        """The points sale_loyalty counts, then multiplied, each rounded down
        to the ledger's precision (whole points by default): what the
        quotation announces, the entry posts and its reason explains,
        e.g. 120 x 2 = 240."""
        return self.env["crm.loyalty.entry"]._earning(points, factor)

    def _crm_loyalty_day(self):
        self.ensure_one()
        if self.state == "sale" and self.date_order:
            # The day of the order where the user is, like the quotation's
            # preview: member day starts at local midnight, not UTC's.
            return fields.Datetime.context_timestamp(self, self.date_order).date()
        return fields.Date.context_today(self)

    def action_confirm(self):
        # sale_loyalty moves card points itself before confirming; for ledger
        # cards the typed entries posted in _action_confirm do it instead.
        return super(
            SaleOrder, self.with_context(**{ORDER_FLOW: True})
        ).action_confirm()

    def _action_confirm(self):
        res = super()._action_confirm()
        self._crm_loyalty_post_order()
        return res

    def _action_cancel(self):
        confirmed = self.filtered(lambda order: order.state == "sale")
        res = super(SaleOrder, self.with_context(**{ORDER_FLOW: True}))._action_cancel()
        confirmed._crm_loyalty_reverse_order()
        return res

    def _crm_loyalty_point_changes(self):
        """Points earned and spent per ledger card by this order."""
        self.ensure_one()
        earned, spent = defaultdict(float), defaultdict(float)
        for coupon_points in self.coupon_point_ids:
            if coupon_points.coupon_id.program_id._crm_is_ledger():
                earned[coupon_points.coupon_id] += coupon_points.points
        for line in self.order_line:
            if line.reward_id and line.coupon_id.program_id._crm_is_ledger():
                spent[line.coupon_id] += line.points_cost
        return earned, spent

    def _crm_loyalty_posted(self):
        """The source keys this order already posted, per card how many times
        its earned points were reversed (a re-confirmed order earns again
        under a new key, a retried confirmation never does), and the
        customer's tier id and birthdate that the earn multipliers read.

        One statement: it runs on every confirmation, and reading the
        member apart cost a query more (``_crm_member_facts``).
        """
        self.ensure_one()
        self.env["crm.loyalty.entry"].flush_model(
            [
                "source_model",
                "source_id",
                "card_id",
                "entry_type",
                "source_key",
                "reversed_entry_id",
            ]
        )
        [(entries, tier_id, birthdate)] = self.env.execute_query(
            SQL(
                """
                SELECT (SELECT json_agg(json_build_array(
                                   e.id, e.card_id, e.entry_type, e.source_key,
                                   e.reversed_entry_id))
                          FROM crm_loyalty_entry e
                         WHERE e.source_model = %s AND e.source_id = %s),
                       m.tier_id, m.birthdate
                  FROM (SELECT 1) AS one
                  LEFT JOIN (%s) AS m ON TRUE
                """,
                self._name,
                self.id,
                self.env["loyalty.program"]._crm_member_query(
                    self.partner_id, self.company_id
                ),
            )
        )
        entries = entries or []
        earned = {entry_id for entry_id, _c, kind, _k, _r in entries if kind == "earn"}
        cycles = defaultdict(int)
        for _id, card_id, kind, _key, reversed_id in entries:
            if kind == "reversal" and reversed_id in earned:
                cycles[card_id] += 1
        posted = {key for _id, _card, _kind, key, _reversed in entries}
        return posted, cycles, (tier_id, birthdate)

    def _crm_loyalty_post_order(self):
        self._crm_loyalty_post_entries()
        # A member who reaches a tier's threshold is upgraded at once, or
        # moments later with the customer's lifecycle refresh
        # (crm.lifecycle.refresh.queue) where the company updates its
        # customers in the background.
        now = self - self._lifecycle_queued()
        for company in now.company_id:
            orders = now.filtered(lambda o, c=company: o.company_id == c)
            self.env["crm.loyalty.tier"].sudo().with_company(company)._update_members(
                orders.partner_id, company=company
            )

    def _crm_loyalty_post_entries(self):
        Entry = self.env["crm.loyalty.entry"]
        # Lock the orders' rows before posting (the lifecycle refresh has
        # usually written them already, then this costs nothing): a
        # concurrent confirmation of the same order waits here and is
        # retried, instead of meeting this one at the ledger's unique key.
        self.flush_recordset(["state"])
        for order in self:
            earned, spent = order._crm_loyalty_point_changes()
            if not (earned or spent):
                continue
            # Reasons are stored as codes and values, worded when shown in
            # the reader's language (crm.loyalty.entry._reason_text).
            reason = {"order": order.name}
            day = order._crm_loyalty_day()
            posted, cycles, member = order._crm_loyalty_posted()
            for card in set(earned) | set(spent):
                prefix = f"sale.order:{order.id}:card:{card.id}:{cycles[card.id]}"
                # Spend first: the points a reward costs may come from the
                # balance held before this order, never from what it earns.
                if spent.get(card) and f"{prefix}:redeem" not in posted:
                    Entry._post(
                        card,
                        "redeem",
                        -spent[card],
                        f"{prefix}:redeem",
                        source=order,
                        new_key=True,
                        reason_code="order",
                        reason_params=reason,
                    )
                if earned.get(card) and f"{prefix}:earn" not in posted:
                    Entry._post_order_earning(
                        card,
                        earned[card],
                        f"{prefix}:earn",
                        order,
                        reason,
                        order.partner_id,
                        day,
                        member,
                        new_key=True,
                    )

    def _crm_loyalty_reverse_order(self):
        Entry = self.env["crm.loyalty.entry"].sudo()
        for order in self:
            entries = Entry.search(
                [
                    ("source_model", "=", self._name),
                    ("source_id", "=", order.id),
                    ("entry_type", "in", ("earn", "redeem")),
                ],
                order="id",
            )
            reversals = Entry.search([("reversed_entry_id", "in", entries.ids)])
            reason = {"order": order.name}
            # Give back what was spent before taking back what was earned.
            for entry in entries.sorted(lambda e: e.points > 0):
                own = reversals.filtered(lambda r, e=entry: r.reversed_entry_id == e)
                if entry.points < 0:
                    if own:
                        continue  # the spend was already given back
                    points = -entry.points
                else:
                    # What a credit note already took back (or tried to) is
                    # not taken twice: only the rest of the earned points.
                    points = -(entry.points + sum(r.points - r.shortfall for r in own))
                    if points >= 0:
                        continue
                Entry._post(
                    entry.card_id,
                    "reversal",
                    points,
                    f"crm.loyalty.entry:{entry.id}:reversal",
                    source=order,
                    reverses=entry,
                    reason_code="order_cancel",
                    reason_params=reason,
                )

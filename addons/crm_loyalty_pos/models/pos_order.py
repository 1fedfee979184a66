from collections import defaultdict

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.crm_loyalty.models.loyalty_card import ORDER_FLOW

PAID_STATES = ("paid", "done", "invoiced")


class PosOrder(models.Model):
    _inherit = "pos.order"

    crm_loyalty_confirmed = fields.Boolean(
        "Points posted to the ledger",
        readonly=True,
        copy=False,
        help="The till confirmed this order's loyalty points once; a repeated "
        "confirmation (offline mode, a retry after a timeout) is answered "
        "without posting them again.",
    )

    def confirm_coupon_programs(self, coupon_data):
        """Points of ledger cards become typed entries of this order (earn,
        with the program's multipliers, and redeem), posted once.

        pos_loyalty adds the till's net change to each card's balance;
        under the ledger's order flow that change is left to the entries
        posted here. The order's row is locked first: a second call for the
        same order waits, then meets the first one's commit (a
        serialization conflict, which Odoo retries) and is answered from
        what the first posted, as the till expects, never refused and never
        posted twice.

        The flag is set by the statement that locks the row, before the
        points are posted, and rolls back with them if anything fails: one
        statement instead of a lock and an ORM write (the till waits for
        each). Automation rules on the order do not see this technical
        flag change; they see the order's own writes.
        """
        self.ensure_one()
        self.flush_recordset(["crm_loyalty_confirmed", "partner_id", "company_id"])
        self.env["res.partner"].flush_model(
            ["commercial_partner_id", "loyalty_tier_id", "birthdate_date"]
        )
        # The same statement reads what the multipliers need of the order's
        # customer (loyalty.program._crm_member_facts: his tier in the
        # order's company and his birthdate) and queues him for his refresh
        # (crm.lifecycle.refresh.queue: the points may reach a tier; the
        # profile and tier follow moments later): two queries less at the
        # till. As superuser in effect, as the queue always is: derived
        # data the cashier never writes, for the customer of this order.
        Queue = self.env["crm.lifecycle.refresh.queue"]
        first = self.env.execute_query(
            SQL(
                """
                WITH flagged AS (
                    UPDATE pos_order
                       SET crm_loyalty_confirmed = true, write_uid = %(uid)s,
                           write_date = now() AT TIME ZONE 'UTC'
                     WHERE id = %(order)s AND crm_loyalty_confirmed IS NOT TRUE
                 RETURNING partner_id, company_id
                ), %(enqueue)s
                SELECT f.partner_id,
                       (c.loyalty_tier_id ->> f.company_id::text)::int,
                       COALESCE(c.birthdate_date, p.birthdate_date),
                       (SELECT COUNT(*) FROM woken)
                  FROM flagged f
                  LEFT JOIN res_partner p ON p.id = f.partner_id
                  LEFT JOIN res_partner c
                         ON c.id = COALESCE(p.commercial_partner_id, p.id)
                """,
                uid=self.env.uid,
                order=self.id,
                enqueue=Queue._enqueue_ctes(
                    SQL(
                        "SELECT partner_id, company_id FROM flagged"
                        " WHERE partner_id IS NOT NULL"
                    )
                ),
            )
        )
        self.invalidate_recordset(["crm_loyalty_confirmed", "write_uid", "write_date"])
        members = {}
        if first:
            partner_id, tier_id, birthdate, woken = first[0]
            Queue._enqueue_woken(woken)
            if partner_id:
                members[partner_id] = (tier_id, birthdate)
        data = {int(key): value for key, value in coupon_data.items()}
        if any(key < 0 and vals.get("partner_id") for key, vals in data.items()):
            # A till that did not know the member's card sends a new card's
            # key: pos_loyalty adds the points to the card he has instead
            # (on its own copy of the keys). The same on ours, so that those
            # points reach the ledger of that card.
            self._check_existing_loyalty_cards(data)
        if not first:
            return self._crm_loyalty_answer(data)
        result = super(
            PosOrder, self.with_context(**{ORDER_FLOW: True})
        ).confirm_coupon_programs(coupon_data)
        cards = self._crm_loyalty_cards(data, result)
        if cards:
            self._crm_loyalty_post_entries(data, cards, members)
            self._crm_loyalty_update_answer(result)
        return result

    def _crm_loyalty_cards(self, data, result):
        """{card: the till's key for it} for the ledger cards of ``data``,
        the new ones under the ids pos_loyalty gave them."""
        new_ids = {
            update["old_id"]: update["id"] for update in result["coupon_updates"]
        }
        keys = {}
        for key in data:
            card_id = key if key > 0 else new_ids.get(key)
            if card_id:
                keys[card_id] = key
        # sudo: cashiers have no access to loyalty cards in Odoo (pos_loyalty
        # reads them as superuser too); these are the cards of this order.
        # The cards pos_loyalty answered for exist (it just read them): only
        # the others, if any, are looked up (one query less per sale).
        answered = {update["id"] for update in result["coupon_updates"]}
        Card = self.env["loyalty.card"].sudo()
        cards = Card.browse([card_id for card_id in keys if card_id in answered])
        cards |= Card.browse([id_ for id_ in keys if id_ not in answered]).exists()
        return {
            card: keys[card.id] for card in cards if card.program_id._crm_is_ledger()
        }

    def _crm_loyalty_point_changes(self, data, cards):
        """Points earned and spent per card: the till sends the net change
        (won minus the rewards' cost); the reward lines say what was spent."""
        spent = defaultdict(float)
        for line in self.lines:
            if line.reward_id and line.coupon_id in cards:
                spent[line.coupon_id] += line.points_cost
        earned = {
            card: (data[key].get("points") or 0.0) + spent[card]
            for card, key in cards.items()
        }
        return earned, spent

    def _crm_loyalty_post_entries(self, data, cards, members=None):
        """Post the order's entries. Their keys are new: they are posted
        only here, in the transaction that flags the order, whose row is
        locked and was not flagged (``new_key``: no lookup of the key, and
        the earning moves the card in the statement that inserts it; the
        unique key still refuses a concurrent duplicate). ``members``:
        ``{partner id: (tier id, birthdate)}`` already read, as
        ``loyalty.program._crm_member_facts`` gives them."""
        members = members or {}
        Entry = self.env["crm.loyalty.entry"]
        Program = self.env["loyalty.program"]
        earned, spent = self._crm_loyalty_point_changes(data, cards)
        reason = {"order": self.name}
        # The day of the sale where the till is: member day starts at local
        # midnight, as on a quotation.
        day = fields.Datetime.context_timestamp(self, self.date_order).date()
        for card in cards:
            prefix = f"pos.order:{self.id}:card:{card.id}"
            # Spend first: a reward is paid with the points held before the
            # order, never with those it earns.
            if spent.get(card):
                Entry._post(
                    card,
                    "redeem",
                    -spent[card],
                    f"{prefix}:redeem",
                    source=self,
                    new_key=True,
                    reason_code="order",
                    reason_params=reason,
                )
            if earned[card] > 0:
                Entry._post_order_earning(
                    card,
                    earned[card],
                    f"{prefix}:earn",
                    self,
                    reason,
                    card.partner_id,
                    day,
                    members[card.partner_id.id]
                    if card.partner_id.id in members
                    else Program._crm_member_facts(card.partner_id, self.company_id),
                    new_key=True,
                )

    def _crm_loyalty_update_answer(self, result):
        """The balances the till shows after the sale: the ledger's. Read
        from the cache, with no query: the ledger's statements that moved a
        card returned its balance into the cache (or invalidated it), and
        pos_loyalty's own balance change was left to them."""
        cards = self.env["loyalty.card"].sudo()
        for update in result["coupon_updates"]:
            update["points"] = cards.browse(update["id"]).points

    def _crm_loyalty_answer(self, data):
        """The answer to a repeated confirmation: the cards of this order
        with their balances, and nothing created again."""
        Card = self.env["loyalty.card"].sudo()
        created = Card.search([("source_pos_order_id", "=", self.id)])
        updates = []
        for key, vals in data.items():
            if key > 0:
                card = Card.browse(key).exists()
            else:
                program_id = vals.get("program_id")
                card = created.filtered(lambda c, p=program_id: c.program_id.id == p)[
                    :1
                ]
            if card and card.program_id.is_nominative:
                updates.append(
                    {
                        "old_id": key,
                        "id": card.id,
                        "points": card.points,
                        "code": card.code,
                        "program_id": card.program_id.id,
                        "partner_id": card.partner_id.id,
                    }
                )
        programs = Card.browse([u["id"] for u in updates]).program_id
        return {
            "coupon_updates": updates,
            "program_updates": [
                {"program_id": program.id, "usages": program.total_order_count}
                for program in programs
            ],
            "new_coupon_info": [],
            "coupon_report": {},
        }

    def _process_saved_order(self, draft):
        res = super()._process_saved_order(draft)
        if self.state in PAID_STATES:
            self._crm_loyalty_clawback()
        return res

    def _crm_loyalty_clawback(self):
        """A refund at the till takes back the points the refunded orders
        earned, in proportion to the untaxed amount returned, as a credit
        note does."""
        returned = defaultdict(float)
        for line in self.lines:
            if line.refunded_orderline_id:
                returned[line.refunded_orderline_id.order_id] -= line.price_subtotal
        Entry = self.env["crm.loyalty.entry"].sudo()
        for order, amount in returned.items():
            total = sum(order.lines.mapped("price_subtotal"))
            if amount <= 0 or total <= 0:
                continue
            # sudo: the cashier refunding has no rights on the ledger; the
            # points taken back are exactly those the refunded order earned.
            Entry._claw_back(
                order,
                min(amount / total, 1.0),
                self,
                f"pos.order:{self.id}:refund:{order.id}",
                "pos_refund",
                {"refund": self.name, "order": order.name},
            )

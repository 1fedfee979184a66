"""Hypothesis fuzz of crm_loyalty's public entry points over XML-RPC.

Random sequences of what moves points (order confirmation and cancellation,
rewards redeemed on orders, credit notes, the manager's adjustment and
Odoo's balance wizard, direct writes of a balance, behaviour points, the
expiry cron) run on fresh cards, with valid and invalid values. After every
step the ledger invariant documented in readme/DEVELOP.md must hold for every
card the customers hold:

- balance = sum of the card's entries = remaining points of its lots minus
  the points taken while the balance was negative and not yet covered;
- no lot below zero or above what it earned, a lot's remaining points are
  what it earned minus its allocations;
- with the default refund policy ("cap") no balance below zero;
- an operation the server refuses changes nothing;
- posted entries are never modified nor deleted.

The server's clock cannot be moved over RPC, so before the expiry cron runs
the harness ages one of the case's lots that still holds points: it sets the
lot's expiry date to the day before yesterday in the database, as a year
passing would. The report says how many lots expired; a run where none did
fails, since it would not have tested expiry.

The report line goes to stdout and to .ci/out/fuzz.txt when that folder
exists.
"""

import math
import uuid
import xmlrpc.client
from pathlib import Path

import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

OUT = Path(__file__).resolve().parent.parent / ".ci" / "out"
EPSILON = 0.001
CARDS = 2
OPERATIONS = [
    "adjust",
    "adjust",
    "order",
    "order",
    "redeem",
    "cancel",
    "reconfirm",
    "refund",
    "update_balance",
    "write_balance",
    "behaviour",
    "grant",
    "expire",
]
# Valid amounts most of the time, then values the server must refuse or
# round: sub-cent points, huge values, NaN and infinities.
AMOUNTS = st.one_of(
    st.integers(min_value=-400, max_value=400).map(float),
    st.sampled_from(
        [0.0, 0.004, 12.346, -0.006, 2e9, -1e12, 1e308, float("nan"), float("inf")]
    ),
)
SEQUENCES = st.lists(
    st.tuples(
        st.sampled_from(OPERATIONS),
        st.integers(min_value=0, max_value=CARDS - 1),
        AMOUNTS,
        st.integers(min_value=0, max_value=5),
    ),
    min_size=3,
    max_size=8,
)


def _price(amount, low=1.0, high=5e9):
    """An order or refund amount from a fuzzed value: finite and positive
    (sale's own arithmetic is not what is under test), sometimes so large
    that the points it earns are refused."""
    if not math.isfinite(amount):
        return 10.0
    return min(max(abs(amount), low), high)


@pytest.fixture(scope="module")
def admin(demo_server):
    return demo_server.login("admin", "admin")


@pytest.fixture(scope="module")
def setup(admin, demo_server):
    tag = uuid.uuid4().hex[:6]
    login, password = f"fuzz_mgr_{tag}", f"fuzz-{tag}-pw-1234"
    admin(
        "res.users",
        "create",
        {
            "name": login,
            "login": login,
            "password": password,
            "email": f"{login}@example.com",
            "groups_id": [(6, 0, [admin.ref("sales_team.group_sale_manager")])],
        },
    )
    manager = demo_server.login(login, password)
    program = manager(
        "loyalty.program",
        "create",
        {
            "name": f"Fuzz ledger {tag}",
            "program_type": "loyalty",
            "trigger": "auto",
            "applies_on": "both",
            "crm_expiry_policy": "months",
            "crm_expiry_months": 12,
            "rule_ids": [
                (0, 0, {"reward_point_mode": "money", "reward_point_amount": 1})
            ],
            "reward_ids": [
                (
                    0,
                    0,
                    {
                        "reward_type": "discount",
                        "discount_mode": "per_order",
                        "discount": 10,
                        "required_points": 50,
                    },
                )
            ],
        },
    )
    [program_row] = manager("loyalty.program", "read", [program], ["reward_ids"])
    behaviours = {
        row["code"]: row["id"]
        for row in manager(
            "crm.loyalty.behaviour",
            "search_read",
            [("program_id", "=", program)],
            ["code"],
        )
    }
    product = admin(
        "product.product",
        "create",
        {"name": f"Fuzz product {tag}", "type": "service", "taxes_id": [(5,)]},
    )
    yield {
        "tag": tag,
        "manager": manager,
        "program": program,
        "reward": program_row["reward_ids"][0],
        "behaviours": behaviours,
        "product": product,
        "expiry_cron": admin.ref("crm_loyalty.ir_cron_loyalty_expire"),
        "db": demo_server.db,
    }
    # The programme applies to every order: later tests must not earn on it.
    manager("loyalty.program", "write", [program], {"active": False})


class Refused(Exception):
    """The server refused the operation with an error meant for users."""


def _ledger(admin, partners):
    """Cards of the customers in ledger programs, their entries, lots and
    allocations."""
    cards = admin(
        "loyalty.card",
        "search_read",
        [
            ("partner_id", "in", partners),
            ("program_id.program_type", "=", "loyalty"),
            ("program_id.crm_ledger_managed", "=", True),
        ],
        ["points", "program_id", "partner_id"],
        order="id",
    )
    card_ids = [card["id"] for card in cards]
    entries = admin(
        "crm.loyalty.entry",
        "search_read",
        [("card_id", "in", card_ids)],
        [
            "card_id",
            "points",
            "entry_type",
            "source_key",
            "date",
            "shortfall",
            "reversed_entry_id",
            "write_date",
        ],
        order="id",
    )
    lots = admin(
        "crm.loyalty.lot",
        "search_read",
        [("card_id", "in", card_ids)],
        ["card_id", "points", "remaining"],
        order="id",
    )
    allocations = admin(
        "crm.loyalty.allocation",
        "search_read",
        [("entry_id", "in", [entry["id"] for entry in entries])],
        ["entry_id", "lot_id", "points"],
        order="id",
    )
    return {
        "cards": cards,
        "entries": entries,
        "lots": lots,
        "allocations": allocations,
    }


def _violations(state, seen):
    """What breaks the invariant in ``state``; ``seen`` holds every entry
    posted so far, which must still be there unchanged."""
    found = []
    by_card = {card["id"]: card for card in state["cards"]}
    totals = dict.fromkeys(by_card, 0.0)
    taken = {}
    for allocation in state["allocations"]:
        key = allocation["entry_id"][0]
        taken[key] = taken.get(key, 0.0) + allocation["points"]
    debt = dict.fromkeys(by_card, 0.0)
    for entry in state["entries"]:
        card = entry["card_id"][0]
        totals[card] += entry["points"]
        if entry["points"] < 0:
            debt[card] += -entry["points"] - taken.get(entry["id"], 0.0)
    remaining = dict.fromkeys(by_card, 0.0)
    lot_taken = {}
    for allocation in state["allocations"]:
        key = allocation["lot_id"][0]
        lot_taken[key] = lot_taken.get(key, 0.0) + allocation["points"]
    for lot in state["lots"]:
        remaining[lot["card_id"][0]] += lot["remaining"]
        if not -EPSILON <= lot["remaining"] <= lot["points"] + EPSILON:
            found.append(f"lot {lot['id']} holds {lot['remaining']} of {lot['points']}")
        if abs(lot["points"] - lot_taken.get(lot["id"], 0.0) - lot["remaining"]) > (
            EPSILON
        ):
            found.append(f"lot {lot['id']} disagrees with its allocations")
    for card_id, card in by_card.items():
        if not abs(card["points"] - totals[card_id]) <= EPSILON:
            found.append(
                f"card {card_id}: balance {card['points']} != entries {totals[card_id]}"
            )
        if not abs(totals[card_id] - (remaining[card_id] - debt[card_id])) <= EPSILON:
            found.append(
                f"card {card_id}: entries {totals[card_id]} != lots "
                f"{remaining[card_id]} - uncovered {debt[card_id]}"
            )
        if card["points"] < -EPSILON:
            found.append(f"card {card_id}: negative balance {card['points']}")
    current = {entry["id"]: entry for entry in state["entries"]}
    for entry_id, entry in seen.items():
        if current.get(entry_id) != entry:
            found.append(
                f"entry {entry_id} changed: {entry} -> {current.get(entry_id)}"
            )
    seen.update(current)
    return found


class Fuzz:
    """One generated case: fresh customers with a card each."""

    def __init__(self, admin, setup, initial):
        self.admin, self.s = admin, setup
        self.manager = setup["manager"]
        tag = uuid.uuid4().hex[:6]
        self.partners = [
            self.manager("res.partner", "create", {"name": f"Fuzz {tag} {i}"})
            for i in range(CARDS)
        ]
        self.cards = [
            self.manager(
                "loyalty.card",
                "create",
                {
                    "program_id": setup["program"],
                    "partner_id": partner,
                    "points": points,
                },
            )
            for partner, points in zip(self.partners, initial, strict=True)
        ]
        self.orders = []
        self.expired = 0
        self.violations = []
        self.where = "setup"

    def _rpc(self, call, *args, **kwargs):
        """One call that may write. A refusal (UserError, ValidationError,
        AccessError) must leave the customers' ledger as it was: it is read
        before and after. Any other fault (a traceback) propagates and is a
        violation."""
        before = _ledger(self.admin, self.partners)
        try:
            return call(*args, **kwargs)
        except xmlrpc.client.Fault as fault:
            if fault.faultCode not in (2, 4):
                raise
            if _ledger(self.admin, self.partners) != before:
                self.violations.append(f"{self.where}: refused {args[:2]}, changed")
            raise Refused(fault.faultString) from None

    def balance(self, index):
        [card] = self.admin("loyalty.card", "read", [self.cards[index]], ["points"])
        return card["points"]

    def _new_order(self, index, amount):
        return self._rpc(
            self.manager,
            "sale.order",
            "create",
            {
                "partner_id": self.partners[index],
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": self.s["product"],
                            "product_uom_qty": 1,
                            "price_unit": amount,
                            "tax_id": [(5,)],
                        },
                    )
                ],
            },
        )

    def _pick(self, states, choice):
        orders = [o for o in self.orders if o[1] in states]
        return orders[choice % len(orders)] if orders else None

    def _state(self, order):
        [row] = self.admin("sale.order", "read", [order], ["state"])
        return row["state"]

    # Each operation returns a check to run on success, or None.

    def adjust(self, index, amount, choice):
        before = self.balance(index)
        wizard = self._rpc(
            self.manager,
            "crm.loyalty.adjust.wizard",
            "create",
            {"card_id": self.cards[index], "points": amount, "reason": "fuzz"},
        )
        self._rpc(self.manager, "crm.loyalty.adjust.wizard", "action_adjust", [wizard])
        expected = round(before + round(amount, 2), 2)
        return lambda: (
            abs(self.balance(index) - expected) <= EPSILON
            or (f"adjusted {amount}: {before} -> {self.balance(index)}")
        )

    def order(self, index, amount, choice):
        order = self._new_order(index, _price(amount))
        self.orders.append([order, "draft"])
        self._rpc(self.manager, "sale.order", "action_confirm", [order])
        self.orders[-1][1] = "sale"

    def redeem(self, index, amount, choice):
        order = self._new_order(index, _price(amount, low=20.0, high=400.0))
        self.orders.append([order, "draft"])
        result = self._rpc(
            self.manager, "sale.order", "action_open_reward_wizard", [order]
        )
        if isinstance(result, dict):
            wizard = self._rpc(
                self.manager,
                "sale.loyalty.reward.wizard",
                "create",
                {"order_id": order, "selected_reward_id": self.s["reward"]},
            )
            self._rpc(
                self.manager, "sale.loyalty.reward.wizard", "action_apply", [wizard]
            )
        self._rpc(self.manager, "sale.order", "action_confirm", [order])
        self.orders[-1][1] = "sale"

    def _confirmed(self, index, amount, choice):
        """A confirmed order of the case, confirming one when there is none."""
        picked = self._pick(("sale",), choice)
        if not picked:
            self.order(index, amount, choice)
            picked = self.orders[-1]
        return picked

    def cancel(self, index, amount, choice):
        picked = self._confirmed(index, amount, choice)
        if picked:
            self._rpc(
                self.manager,
                "sale.order",
                "action_cancel",
                [picked[0]],
                context={"disable_cancel_warning": True},
            )
            picked[1] = "cancel"

    def reconfirm(self, index, amount, choice):
        picked = self._pick(("cancel",), choice)
        if not picked:
            self.cancel(index, amount, choice)
            picked = self._pick(("cancel",), choice)
        if picked:
            self._rpc(self.manager, "sale.order", "action_draft", [picked[0]])
            picked[1] = "draft"
            self._rpc(self.manager, "sale.order", "action_confirm", [picked[0]])
            picked[1] = "sale"

    def refund(self, index, amount, choice):
        picked = self._confirmed(index, amount, choice)
        [line] = self.admin("sale.order", "read", [picked[0]], ["order_line"])
        move = self._rpc(
            self.admin,
            "account.move",
            "create",
            {
                "move_type": "out_refund",
                "partner_id": self.admin(
                    "sale.order", "read", [picked[0]], ["partner_id"]
                )[0]["partner_id"][0],
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Fuzz refund",
                            "quantity": 1,
                            "price_unit": _price(amount, high=300.0),
                            "tax_ids": [(5,)],
                            "sale_line_ids": [(6, 0, line["order_line"])],
                        },
                    )
                ],
            },
        )
        self._rpc(self.admin, "account.move", "action_post", [move])

    def update_balance(self, index, amount, choice):
        wizard = self._rpc(
            self.manager,
            "loyalty.card.update.balance",
            "create",
            {
                "card_id": self.cards[index],
                "new_balance": self.balance(index) + amount,
                "description": "fuzz",
            },
        )
        self._rpc(
            self.manager,
            "loyalty.card.update.balance",
            "action_update_card_point",
            [wizard],
        )

    def write_balance(self, index, amount, choice):
        # Half of the writes carry the ledger's own context key.
        context = {"crm_loyalty_posting": True} if choice % 2 else {}
        self._rpc(
            self.manager,
            "loyalty.card",
            "write",
            [self.cards[index]],
            {"points": self.balance(index) + amount},
            context=context,
        )

    def behaviour(self, index, amount, choice):
        code = ("checkin", "referral", "share")[choice % 3]
        wizard = self._rpc(
            self.manager,
            "crm.loyalty.behaviour.wizard",
            "create",
            {
                "partner_id": self.partners[index],
                "behaviour_id": self.s["behaviours"][code],
                "reference": f"fuzz-{self.partners[index]}-{choice}",
            },
        )
        self._rpc(
            self.manager, "crm.loyalty.behaviour.wizard", "action_grant", [wizard]
        )

    def grant(self, index, amount, choice):
        self._rpc(
            self.manager,
            "crm.loyalty.behaviour",
            "grant_behaviour_points",
            self.partners[index],
            ("referral", "review", "survey")[choice % 3],
            f"fuzz-api-{choice % 3}",
            self.s["program"],
        )

    def _expire_entries(self):
        return self.admin(
            "crm.loyalty.entry",
            "search_count",
            [("card_id", "in", self.cards), ("entry_type", "=", "expire")],
        )

    def expire(self, index, amount, choice):
        # Time travel for one lot (see the module docstring): the oldest of
        # the customer's lots that still holds points lapses.
        with psycopg2.connect(dbname=self.s["db"]) as conn, conn.cursor() as cr:
            cr.execute(
                """
                UPDATE crm_loyalty_lot SET expiry_date = CURRENT_DATE - 2
                 WHERE id = (SELECT id FROM crm_loyalty_lot
                              WHERE card_id = %s AND remaining > 0
                              ORDER BY id LIMIT 1)
                """,
                (self.cards[index],),
            )
        conn.close()
        before = self._expire_entries()
        self._rpc(
            self.admin, "ir.cron", "method_direct_trigger", [self.s["expiry_cron"]]
        )
        self.expired += self._expire_entries() - before


def test_ledger_invariant_under_random_operations(admin, setup):
    counts = {"cases": 0, "steps": 0, "refused": 0, "expired": 0}
    violations = []

    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        sequence=SEQUENCES,
        initial=st.lists(
            st.integers(min_value=0, max_value=300).map(float),
            min_size=CARDS,
            max_size=CARDS,
        ),
    )
    def run(sequence, initial):
        counts["cases"] += 1
        fuzz = Fuzz(admin, setup, initial)
        seen = {}  # the case's entries, by id, as first read
        state = _ledger(admin, fuzz.partners)
        violations.extend(f"setup {initial}: {v}" for v in _violations(state, seen))
        for step, (operation, index, amount, choice) in enumerate(sequence):
            counts["steps"] += 1
            fuzz.where = where = (
                f"case {counts['cases']} step {step} {operation}({index}, {amount})"
            )
            check = None
            try:
                check = getattr(fuzz, operation)(index, amount, choice)
            except Refused:
                counts["refused"] += 1
            except xmlrpc.client.Fault as fault:
                violations.append(f"{where}: {fault.faultString.strip()[-300:]}")
            state = _ledger(admin, fuzz.partners)
            violations.extend(f"{where}: {v}" for v in _violations(state, seen))
            outcome = check() if check else True
            if outcome is not True:
                violations.append(f"{where}: {outcome}")
        violations.extend(fuzz.violations)
        counts["expired"] += fuzz.expired

    run()
    line = (
        f"ledger fuzz: {counts['cases']} cases, {counts['steps']} operations, "
        f"{len(violations)} invariant violations, {counts['expired']} lots expired"
    )
    print(line)
    print(f"({counts['refused']} operations refused by the server)")
    if OUT.is_dir():
        (OUT / "fuzz.txt").write_text(
            line + "\n" + "".join(f"  {v}\n" for v in violations[:50]),
            encoding="utf-8",
        )
    assert counts["cases"] >= 10
    assert counts["expired"] > 0, "no lot expired: expiry was not tested"
    assert counts["steps"] >= 3 * counts["cases"] / 2
    assert not violations, "\n".join(violations[:20])

"""Points at the till over XML-RPC, with real concurrent transactions: the
calls a till makes (``sync_from_ui``, then pos_loyalty's
``confirm_coupon_programs``), sent again after a timeout, or by two tills at
the same moment."""

import uuid as uuid_lib
from datetime import UTC, datetime

import pytest
from rpc_parallel import in_parallel

REWARD_COST = 60


@pytest.fixture(scope="module")
def till(glue_server):
    """An open session of a till with a ledger program (a reward costs 60
    points), a product and its cash payment method."""
    admin = glue_server.login("admin", "admin")
    config = admin("pos.config", "create", {"name": "RPC till"})
    admin(
        "loyalty.program",
        "write",
        admin("loyalty.program", "search", [("pos_ok", "=", True)]),
        {"active": False},
    )
    program = admin(
        "loyalty.program",
        "create",
        {
            "name": "RPC till points",
            "program_type": "loyalty",
            "trigger": "auto",
            "applies_on": "both",
            "pos_ok": True,
            "pos_config_ids": [(6, 0, [config])],
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
                        "discount": 5,
                        "discount_applicability": "order",
                        "required_points": REWARD_COST,
                    },
                )
            ],
        },
    )
    [reward] = admin(
        "loyalty.reward",
        "search_read",
        [("program_id", "=", program)],
        ["discount_line_product_id"],
    )
    product = admin(
        "product.product",
        "create",
        {
            "name": "RPC till product",
            "available_in_pos": True,
            "list_price": 100,
            "taxes_id": [(5,)],
        },
    )
    [cfg] = admin("pos.config", "read", [config], ["payment_method_ids"])
    methods = cfg["payment_method_ids"]
    if not methods:
        journal = admin("account.journal", "search", [("type", "=", "bank")], limit=1)
        methods = [
            admin(
                "pos.payment.method",
                "create",
                {"name": "RPC till bank", "journal_id": journal[0]},
            )
        ]
        admin(
            "pos.config", "write", [config], {"payment_method_ids": [(6, 0, methods)]}
        )
    admin("pos.config", "open_ui", [config])
    [session] = admin(
        "pos.session",
        "search",
        [("config_id", "=", config), ("state", "in", ("opening_control", "opened"))],
    )
    return {
        "admin": admin,
        "server": glue_server,
        "config": config,
        "program": program,
        "reward": reward["id"],
        "reward_product": reward["discount_line_product_id"][0],
        "product": product,
        "session": session,
        "cash": methods[0],
    }


def _member(till, points):
    admin = till["admin"]
    partner = admin("res.partner", "create", {"name": "RPC till member"})
    card = admin(
        "loyalty.card",
        "create",
        {"program_id": till["program"], "partner_id": partner, "points": points},
    )
    return partner, card


def _order(till, partner, card=None, amount=100.0):
    """The order a till sends on payment: one product line, and a reward
    line that spends 60 points of ``card`` when given."""
    lines = [
        {
            "product_id": till["product"],
            "qty": 1,
            "price_unit": amount,
            "price_subtotal": amount,
            "price_subtotal_incl": amount,
            "tax_ids": [(6, 0, [])],
            "pack_lot_ids": [],
        }
    ]
    if card:
        lines.append(
            {
                "product_id": till["reward_product"],
                "qty": 1,
                "price_unit": -5.0,
                "price_subtotal": -5.0,
                "price_subtotal_incl": -5.0,
                "tax_ids": [(6, 0, [])],
                "pack_lot_ids": [],
                "reward_id": till["reward"],
                "coupon_id": card,
                "points_cost": REWARD_COST,
                "is_reward_line": True,
                "reward_identifier_code": "rpc-reward",
            }
        )
    total = sum(line["price_subtotal_incl"] for line in lines)
    uid = str(uuid_lib.uuid4())
    return {
        "uuid": uid,
        "name": f"Order {uid}",
        "session_id": till["session"],
        "partner_id": partner,
        "user_id": till["admin"].uid,
        "date_order": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "sequence_number": 1,
        "amount_paid": total,
        "amount_total": total,
        "amount_tax": 0.0,
        "amount_return": 0.0,
        "last_order_preparation_change": "{}",
        "to_invoice": False,
        "lines": [
            (0, 0, {**line, "name": f"{uid}-{n}"}) for n, line in enumerate(lines)
        ],
        "payment_ids": [
            (
                0,
                0,
                {
                    "amount": total,
                    "name": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    "payment_method_id": till["cash"],
                },
            )
        ],
    }


def _sync(call, order):
    result = call("pos.order", "sync_from_ui", [order])
    return result["pos.order"][0]["id"]


def _coupon_data(till, partner, card, points, spends=False):
    data = {
        "points": points,
        "program_id": till["program"],
        "coupon_id": card,
        "barcode": "",
        "partner_id": partner,
    }
    if spends:
        data["line_codes"] = ["rpc-reward"]
    return {str(card): data}


def _entries(till, card):
    return till["admin"](
        "crm.loyalty.entry",
        "search_read",
        [("card_id", "=", card)],
        ["entry_type", "points", "source_id", "source_model"],
    )


def _balance(till, card):
    [row] = till["admin"]("loyalty.card", "read", [card], ["points"])
    return row["points"]


def test_a_timed_out_till_syncs_and_confirms_again(till):
    """Offline mode or a retry after a timeout: the same order synced twice
    and its points confirmed twice is one order that earned once, and the
    second confirmation is answered with the same balance."""
    admin = till["admin"]
    partner, card = _member(till, 0)
    order = _order(till, partner)
    first_id = _sync(admin, order)
    first = admin(
        "pos.order",
        "confirm_coupon_programs",
        [first_id],
        _coupon_data(till, partner, card, 100),
    )
    again_id = _sync(admin, order)
    again = admin(
        "pos.order",
        "confirm_coupon_programs",
        [again_id],
        _coupon_data(till, partner, card, 100),
    )
    assert again_id == first_id
    assert admin("pos.order", "search_count", [("uuid", "=", order["uuid"])]) == 1
    earns = [e for e in _entries(till, card) if e["entry_type"] == "earn"]
    assert [(e["points"], e["source_model"], e["source_id"]) for e in earns] == [
        (100, "pos.order", first_id)
    ]
    assert _balance(till, card) == 100
    assert first["coupon_updates"][0]["points"] == 100
    assert again["coupon_updates"][0]["points"] == 100


def test_parallel_confirmations_of_one_order_earn_once(till):
    """Eight confirmations of one order at the same moment: every caller is
    answered, not refused, and the order earns once."""
    partner, card = _member(till, 0)
    order_id = _sync(till["admin"], _order(till, partner))

    def confirm(_index):
        me = till["server"].login("admin", "admin")
        return me(
            "pos.order",
            "confirm_coupon_programs",
            [order_id],
            _coupon_data(till, partner, card, 100),
        )

    results = in_parallel(8, confirm)
    assert all(status == "ok" for status, _ in results), results
    answers = {result["coupon_updates"][0]["points"] for _status, result in results}
    assert answers == {100}, results
    earns = [e for e in _entries(till, card) if e["entry_type"] == "earn"]
    assert len(earns) == 1, earns
    assert _balance(till, card) == 100


def test_two_tills_cannot_spend_more_than_the_balance(till):
    """Two tills redeem 60 points each from a card holding 100, at the same
    moment (the till says their orders earn nothing): one spends, the other
    is refused in words, and the card never goes below zero."""
    admin = till["admin"]
    partner, card = _member(till, 100)
    orders = [_sync(admin, _order(till, partner, card)) for _ in range(2)]

    def confirm(index):
        me = till["server"].login("admin", "admin")
        return me(
            "pos.order",
            "confirm_coupon_programs",
            [orders[index]],
            _coupon_data(till, partner, card, -REWARD_COST, spends=True),
        )

    results = in_parallel(2, confirm)
    statuses = sorted(status for status, _ in results)
    assert statuses == ["fault", "ok"], results
    [refusal] = [message for status, message in results if status == "fault"]
    assert "cannot be taken" in refusal, refusal
    redeems = [e for e in _entries(till, card) if e["entry_type"] == "redeem"]
    assert [e["points"] for e in redeems] == [-REWARD_COST]
    assert _balance(till, card) == 100 - REWARD_COST
    assert sum(e["points"] for e in _entries(till, card)) == 100 - REWARD_COST

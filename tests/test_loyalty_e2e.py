"""crm_loyalty over XML-RPC with real concurrent transactions."""

import re

import pytest
import requests
from rpc_parallel import in_parallel


def _program_and_card(admin, points):
    program = admin(
        "loyalty.program",
        "create",
        {
            "name": "RPC ledger",
            "program_type": "loyalty",
            "trigger": "auto",
            "applies_on": "both",
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
                        "required_points": 10,
                    },
                )
            ],
        },
    )
    partner = admin("res.partner", "create", {"name": "RPC loyalty customer"})
    card = admin(
        "loyalty.card",
        "create",
        {"program_id": program, "partner_id": partner, "points": points},
    )
    return program, partner, card


def _ledger_total(admin, card):
    entries = admin(
        "crm.loyalty.entry", "search_read", [("card_id", "=", card)], ["points"]
    )
    return sum(e["points"] for e in entries), len(entries)


@pytest.fixture(scope="module")
def admin(demo_server):
    return demo_server.login("admin", "admin")


def test_concurrent_spends_never_overspend(admin, demo_server):
    _program, _partner, card = _program_and_card(admin, 100)

    def spend(_index):
        me = demo_server.login("admin", "admin")  # one connection per thread
        wizard = me(
            "crm.loyalty.adjust.wizard",
            "create",
            {"card_id": card, "points": -30, "reason": "parallel spend"},
        )
        return me("crm.loyalty.adjust.wizard", "action_adjust", [wizard])

    results = in_parallel(8, spend)
    succeeded = sum(1 for status, _ in results if status == "ok")
    assert 1 <= succeeded <= 3, results
    [balance] = admin("loyalty.card", "read", [card], ["points"])
    total, count = _ledger_total(admin, card)
    assert balance["points"] == 100 - 30 * succeeded >= 0
    assert total == balance["points"]
    assert count == 1 + succeeded


def test_concurrent_confirmations_earn_once(admin, demo_server):
    program, partner, card = _program_and_card(admin, 0)
    product = admin(
        "product.product",
        "create",
        {"name": "RPC ledger product", "type": "service", "taxes_id": [(5,)]},
    )
    order = admin(
        "sale.order",
        "create",
        {
            "partner_id": partner,
            "order_line": [
                (
                    0,
                    0,
                    {
                        "product_id": product,
                        "product_uom_qty": 1,
                        "price_unit": 100,
                        "tax_id": [(5,)],
                    },
                )
            ],
        },
    )

    def confirm(_index):
        me = demo_server.login("admin", "admin")
        return me("sale.order", "action_confirm", [order])

    results = in_parallel(8, confirm)
    assert any(status == "ok" for status, _ in results), results
    earns = admin(
        "crm.loyalty.entry",
        "search_read",
        [
            ("source_model", "=", "sale.order"),
            ("source_id", "=", order),
            ("entry_type", "=", "earn"),
            ("program_id", "=", program),
        ],
        ["points", "card_id"],
    )
    assert len(earns) == 1, earns
    assert earns[0]["points"] == 100
    [balance] = admin("loyalty.card", "read", [earns[0]["card_id"][0]], ["points"])
    assert balance["points"] == 100
    assert program and card


def test_concurrent_behaviour_grants_answer_every_caller(admin, demo_server):
    """Eight calls for one event of a customer who has no card yet: one
    entry, one card, and every caller gets the first result."""
    program, _partner, _card = _program_and_card(admin, 0)
    admin(
        "crm.loyalty.behaviour",
        "create",
        {
            "name": "RPC review",
            "code": "rpc_review",
            "program_id": program,
            "points": 10,
        },
    )
    newcomer = admin("res.partner", "create", {"name": "RPC newcomer"})

    def grant(_index):
        me = demo_server.login("admin", "admin")
        return me(
            "crm.loyalty.behaviour",
            "grant_behaviour_points",
            newcomer,
            "rpc_review",
            "review-42",
            program,
        )

    results = in_parallel(8, grant)
    assert all(status == "ok" for status, _ in results), results
    entry_ids = {result["entry_id"] for _status, result in results}
    assert len(entry_ids) == 1, results
    assert sum(not result["duplicate"] for _status, result in results) == 1
    assert all(result["balance"] == 10 for _status, result in results), results
    cards = admin(
        "loyalty.card",
        "search_count",
        [("program_id", "=", program), ("partner_id", "=", newcomer)],
    )
    assert cards == 1


def _portal_session(server, login, password):
    """A browser of the member: logged in through the login form."""
    session = requests.Session()
    page = session.get(f"{server.url}/web/login", timeout=60).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    session.post(
        f"{server.url}/web/login",
        data={"login": login, "password": password, "csrf_token": token},
        timeout=60,
    )
    return session


def test_parallel_mall_exchanges_never_overspend(admin, demo_server):
    """A member clicks Exchange in four browser tabs at the same moment, for
    a reward of 60 points with 100 on his card: one code, one redeem entry,
    40 points left; the other tabs are told why, in words."""
    program, partner, card = _program_and_card(admin, 100)
    coupons = admin(
        "loyalty.program",
        "create",
        {
            "name": "RPC mall coupons",
            "program_type": "coupons",
            "trigger": "with_code",
            "applies_on": "current",
            "reward_ids": [
                (
                    0,
                    0,
                    {
                        "reward_type": "discount",
                        "discount_mode": "per_order",
                        "discount": 10,
                        "required_points": 1,
                    },
                )
            ],
        },
    )
    item = admin(
        "crm.loyalty.mall.item",
        "create",
        {
            "name": "RPC mall reward",
            "program_id": program,
            "points_cost": 60,
            "reward_program_id": coupons,
        },
    )
    admin(
        "res.users",
        "create",
        {
            "name": "RPC mall member",
            "login": "rpc_mall_member",
            "password": "rpc_mall_member",
            "partner_id": partner,
            "groups_id": [(6, 0, [admin.ref("base.group_portal")])],
        },
    )
    tabs = [
        _portal_session(demo_server, "rpc_mall_member", "rpc_mall_member")
        for _ in range(4)
    ]
    tokens = []
    for tab in tabs:
        page = tab.get(f"{demo_server.url}/my/loyalty/mall", timeout=60).text
        tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', page).group(1))

    def exchange(index):
        response = tabs[index].post(
            f"{demo_server.url}/my/loyalty/mall/exchange",
            data={
                "item_id": item,
                "request_key": f"tab-{index}",
                "csrf_token": tokens[index],
            },
            timeout=120,
        )
        return response.status_code, response.text

    results = in_parallel(4, exchange)
    assert all(status == "ok" and result[0] == 200 for status, result in results)
    refused = [text for _status, (_code, text) in results if "your balance is" in text]
    assert len(refused) == 3, [text[-300:] for _s, (_c, text) in results]
    redeems = admin(
        "crm.loyalty.entry",
        "search_read",
        [("card_id", "=", card), ("entry_type", "=", "redeem")],
        ["points"],
    )
    assert [entry["points"] for entry in redeems] == [-60]
    [balance] = admin("loyalty.card", "read", [card], ["points"])
    assert balance["points"] == 40
    codes = admin("loyalty.card", "search_count", [("crm_mall_item_id", "=", item)])
    assert codes == 1

"""Bad input over XML-RPC for every public method of crm_lifecycle and
crm_loyalty: missing ids, wrong types, huge values, other companies' records
and a salesperson without the rights. Each call must fail with an error meant
for users and change nothing.

On ``/xmlrpc/2`` Odoo reports UserError, ValidationError and MissingError
with fault code 2 and AccessError with 4, the message alone as fault string;
anything else (a TypeError, a psycopg2 error) comes with fault code 1 and its
traceback. ``_refused`` asserts the former.
"""

import base64
import datetime
import os
import re
import uuid
import xmlrpc.client

import pytest

USER_ERROR, ACCESS_ERROR = 2, 4
HUGE = (1e308, -1e308, 1e30, float("inf"), float("-inf"), float("nan"))
# Ids of records that do not exist, and values that are not ids at all (an
# int beyond 32 bits cannot even be sent: the XML-RPC client refuses it).
MISSING_IDS = ([2**31 - 1], [10**9], [-1], [0], [None], ["not-an-id"], [True], [])
LONG_TEXT = base64.b64encode(os.urandom(30000)).decode()  # incompressible

# Every public method that works on records, as (model, method).
RECORD_METHODS = [
    ("crm.purchase.model", "action_fit"),
    ("res.partner", "action_lifecycle_pin"),
    ("res.partner", "action_lifecycle_unpin"),
    ("res.partner", "action_lifecycle_refresh"),
    ("crm.lifecycle.pin.wizard", "action_pin"),
    ("crm.lifecycle.segment.export", "action_export"),
    ("res.config.settings", "set_values"),
    ("loyalty.card", "action_crm_open_ledger"),
    ("loyalty.card", "action_crm_adjust"),
    ("res.partner", "action_loyalty_open_ledger"),
    ("res.partner", "action_loyalty_statement"),
    ("crm.loyalty.adjust.wizard", "action_adjust"),
    ("crm.loyalty.behaviour.wizard", "action_grant"),
    ("loyalty.card.update.balance", "action_update_card_point"),
    ("res.partner", "action_lifecycle_email_campaign"),
    ("res.partner", "action_lifecycle_sms_campaign"),
    ("crm.lifecycle.profile", "action_lifecycle_email_campaign"),
    ("crm.lifecycle.profile", "action_lifecycle_sms_campaign"),
    ("res.partner", "action_lifecycle_export_personal_data"),
    ("res.partner", "action_lifecycle_anonymise"),
    ("crm.retail.china.preset", "action_apply"),
]
# Model-level buttons and services (their ids, if any, are ignored).
MODEL_METHODS = [
    ("crm.lifecycle.run", "action_recompute_now"),
    ("crm.lifecycle.run", "action_run_now"),
    ("crm.loyalty.entry", "action_reconcile"),
    ("crm.loyalty.behaviour", "grant_behaviour_points"),
]
# ORM methods the addons override, and sale.order.action_confirm (Odoo's,
# which crm_loyalty extends to post the earned and spent points).
OVERRIDES = [
    ("sale.order", "action_confirm"),
    ("loyalty.card", "create"),
    ("loyalty.card", "write"),
    ("loyalty.program", "create"),
    ("loyalty.program", "write"),
    ("crm.loyalty.entry", "create"),
    ("crm.loyalty.entry", "write"),
    ("crm.loyalty.entry", "unlink"),
    ("crm.lifecycle.run", "create"),
    ("crm.purchase.model", "unlink"),
    # crm_loyalty measures the activities of the tiers' service levels.
    ("mail.activity", "create"),
    ("mail.activity", "write"),
    ("mail.activity", "unlink"),
    # Odoo's reset to draft, after which crm_lifecycle updates the customer.
    ("account.move", "button_draft"),
    # Field descriptions and settings values: read-only, no input to refuse.
    ("crm.loyalty.entry", "fields_get"),
    ("res.config.settings", "get_values"),
]


def _refused(call, *args, **kwargs):
    """The call fails with UserError/ValidationError/MissingError/AccessError."""
    with pytest.raises(xmlrpc.client.Fault) as info:
        call(*args, **kwargs)
    fault = info.value
    assert fault.faultCode in (USER_ERROR, ACCESS_ERROR), (
        args[:2],
        fault.faultString[-600:],
    )
    assert "Traceback" not in fault.faultString
    return fault.faultString


def _refused_by_odoo_conversion(call, *args, **kwargs):
    """A value of the wrong type for a field (a text in a Float or Date field,
    a Selection value that does not exist), refused as for every model of
    Odoo: by the ORM's conversion of field values (odoo/fields.py) or by the
    database's type check of the INSERT, never by code of the addons; the
    transaction is rolled back, so nothing is written."""
    with pytest.raises(xmlrpc.client.Fault) as info:
        call(*args, **kwargs)
    text = info.value.faultString
    frames = re.findall(r'File "([^"]+)"', text)
    assert any(f.endswith(("/odoo/fields.py", "/odoo/sql_db.py")) for f in frames), (
        text[-600:]
    )
    assert not re.search(r"/crm_(lifecycle|loyalty)/", frames[-1]), text[-600:]
    assert re.search(
        r"^(ValueError|TypeError|psycopg2\.errors\.Invalid\w+): ", text, re.MULTILINE
    ), text[-600:]


@pytest.fixture(scope="module")
def admin(demo_server):
    return demo_server.login("admin", "admin")


class World:
    """Users and records of two companies, created once for the module."""


def _user(admin, demo_server, login, group, company):
    password = f"{login}-pw-1234"
    admin(
        "res.users",
        "create",
        {
            "name": login,
            "login": login,
            "email": f"{login}@example.com",
            "password": password,
            "groups_id": [(6, 0, [admin.ref(group)])],
            "company_id": company,
            "company_ids": [(6, 0, [company])],
        },
    )
    return demo_server.login(login, password)


def _program(call, name, company=False, ledger=True):
    return call(
        "loyalty.program",
        "create",
        {
            "name": name,
            "program_type": "loyalty",
            "trigger": "auto",
            "applies_on": "both",
            "company_id": company,
            "crm_ledger_managed": ledger,
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


def _order(call, partner, product, price=100.0):
    return call(
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
                        "price_unit": price,
                        "tax_id": [(5,)],
                    },
                )
            ],
        },
    )


@pytest.fixture(scope="module")
def world(admin, demo_server):
    w = World()
    tag = uuid.uuid4().hex[:6]
    w.a = admin("res.users", "read", [admin.uid], ["company_id"])[0]["company_id"][0]
    # Creating a company adds it to the creator's companies: admin sees both,
    # the users below only their own.
    w.b = admin("res.company", "create", {"name": f"RPC company B {tag}"})
    w.manager = _user(
        admin, demo_server, f"rpc_mgr_{tag}", "sales_team.group_sale_manager", w.a
    )
    w.manager_b = _user(
        admin, demo_server, f"rpc_mgr_b_{tag}", "sales_team.group_sale_manager", w.b
    )
    w.salesman = _user(
        admin, demo_server, f"rpc_sal_{tag}", "sales_team.group_sale_salesman", w.a
    )
    w.product = admin(
        "product.product",
        "create",
        {"name": f"RPC product {tag}", "type": "service", "taxes_id": [(5,)]},
    )
    # Company A: a ledger program and card, a program outside the ledger, a
    # customer with a confirmed order (so with a lifecycle profile).
    w.program = _program(w.manager, f"RPC ledger {tag}", w.a)
    w.plain_program = _program(w.manager, f"RPC plain {tag}", w.a, ledger=False)
    w.customer = w.manager(
        "res.partner", "create", {"name": f"RPC customer {tag}", "is_company": True}
    )
    w.card = w.manager(
        "loyalty.card",
        "create",
        {"program_id": w.program, "partner_id": w.customer, "points": 100},
    )
    w.plain_card = w.manager(
        "loyalty.card",
        "create",
        {"program_id": w.plain_program, "partner_id": w.customer, "points": 5},
    )
    order = _order(w.manager, w.customer, w.product)
    w.manager("sale.order", "action_confirm", [order])
    w.behaviour = w.manager(
        "crm.loyalty.behaviour",
        "search",
        [("program_id", "=", w.program), ("code", "=", "referral")],
    )[0]
    w.model = w.manager("crm.purchase.model", "create", {})
    w.admin_order = _order(admin, w.customer, w.product)  # the salesman's not
    # Company B, created by its own manager.
    w.program_b = _program(w.manager_b, f"RPC ledger B {tag}", w.b)
    w.customer_b = w.manager_b(
        "res.partner",
        "create",
        {"name": f"RPC customer B {tag}", "is_company": True, "company_id": w.b},
    )
    w.card_b = w.manager_b(
        "loyalty.card",
        "create",
        {"program_id": w.program_b, "partner_id": w.customer_b, "points": 50},
    )
    w.behaviour_b = w.manager_b(
        "crm.loyalty.behaviour",
        "search",
        [("program_id", "=", w.program_b), ("code", "=", "share")],
    )[0]
    w.order_b = _order(w.manager_b, w.customer_b, w.product)
    w.model_b = w.manager_b("crm.purchase.model", "create", {"company_id": w.b})
    w.tier_b = w.manager_b(
        "crm.loyalty.tier",
        "create",
        {
            "name": "B tier",
            "company_id": w.b,
            "threshold": 10,
            "retention_threshold": 5,
        },
    )
    w.programs = [w.program, w.plain_program, w.program_b]
    w.companies = [w.a, w.b]
    yield w
    # Auto-applied programs would earn on every later order of the session.
    w.manager("loyalty.program", "write", w.programs[:2], {"active": False})
    w.manager_b("loyalty.program", "write", w.programs[2:], {"active": False})


def _snapshot(admin, w):
    """Everything a refused call could have touched."""
    ctx = {"context": {"allowed_company_ids": w.companies, "active_test": False}}
    entries = admin("crm.loyalty.entry", "read_group", [], ["points:sum"], [], **ctx)
    lots = admin("crm.loyalty.lot", "read_group", [], ["remaining:sum"], [], **ctx)
    return {
        "entries": [(g["__count"], round(g["points"] or 0, 2)) for g in entries],
        "lots": [(g["__count"], round(g["remaining"] or 0, 2)) for g in lots],
        "allocations": admin("crm.loyalty.allocation", "search_count", [], **ctx),
        "history": admin("loyalty.history", "search_count", [], **ctx),
        "cards": admin(
            "loyalty.card",
            "search_read",
            [("program_id", "in", w.programs)],
            ["points", "partner_id"],
            order="id",
            **ctx,
        ),
        "programs": admin(
            "loyalty.program",
            "read",
            w.programs,
            [
                "crm_member_day_factor",
                "crm_birthday_factor",
                "crm_member_monthday",
                "crm_expiry_months",
                "crm_expiry_reminder_days",
                "crm_ledger_managed",
            ],
            **ctx,
        ),
        "campaigns": admin("crm.loyalty.campaign", "search_count", [], **ctx),
        "tiers": admin(
            "crm.loyalty.tier",
            "search_read",
            [],
            ["threshold", "retention_threshold", "multiplier"],
            order="id",
            **ctx,
        ),
        "behaviours": admin(
            "crm.loyalty.behaviour",
            "search_read",
            [("program_id", "in", w.programs)],
            ["points", "cap_count", "code", "active"],
            order="id",
            **ctx,
        ),
        "greetings": admin("crm.loyalty.greeting", "search_count", [], **ctx),
        "companies": admin(
            "res.company",
            "read",
            w.companies,
            [
                "lifecycle_new_days",
                "lifecycle_dormant_days",
                "lifecycle_churned_days",
                "lifecycle_at_risk_factor",
                "lifecycle_rfm_window_days",
                "lifecycle_refit_days",
                "loyalty_tier_grace_days",
                "loyalty_tier_warning_days",
            ],
        ),
        "profiles": admin(
            "crm.lifecycle.profile",
            "search_read",
            [("partner_id", "in", [w.customer, w.customer_b])],
            ["stage", "is_pinned", "order_count", "write_date"],
            order="id",
            **ctx,
        ),
        "profile_count": admin("crm.lifecycle.profile", "search_count", [], **ctx),
        "stage_history": admin(
            "crm.lifecycle.stage.history", "search_count", [], **ctx
        ),
        "runs": admin("crm.lifecycle.run", "search_count", [], **ctx),
        "fits": admin(
            "crm.purchase.model",
            "search_read",
            [],
            ["state", "fit_date"],
            order="id",
            **ctx,
        ),
        "orders": admin(
            "sale.order",
            "read",
            [w.admin_order, w.order_b],
            ["state", "amount_untaxed"],
            **ctx,
        ),
        "attachments": admin(
            "ir.attachment", "search_count", [("res_model", "=", "res.partner")]
        ),
        "parameters": admin(
            "ir.config_parameter",
            "search_read",
            [("key", "like", "crm_")],
            ["key", "value"],
            order="key",
        ),
        "crons": admin(
            "ir.cron",
            "search_read",
            [("cron_name", "ilike", "lifecycle")],
            ["nextcall"],
            order="id",
        ),
    }


def test_record_methods_refuse_missing_and_malformed_ids(admin, world):
    """Every public method on records, with ids that exist nowhere or are not
    ids at all: a MissingError, for admin as for a manager of the company."""
    before = _snapshot(admin, world)
    tried = 0
    for model, method in RECORD_METHODS:
        for ids in MISSING_IDS:
            for caller in (admin, world.manager):
                message = _refused(caller, model, method, ids)
                assert "does not exist or has been deleted" in message, (
                    model,
                    method,
                    ids,
                    message,
                )
                tried += 1
    # Odoo's own method (crm_loyalty only sets a context around it): Odoo
    # refuses ids that are not there; 0 or nothing is nothing to confirm.
    for ids in ([2**31 - 1], [10**9], [-1]):
        message = _refused(admin, "sale.order", "action_confirm", ids)
        assert "does not exist or has been deleted" in message
        tried += 1
    assert tried == len(RECORD_METHODS) * len(MISSING_IDS) * 2 + 3
    assert _snapshot(admin, world) == before


def test_salesperson_has_no_manager_rights(admin, world):
    sal = world.salesman
    before = _snapshot(admin, world)
    calls = [
        ("crm.lifecycle.run", "action_recompute_now", []),
        ("crm.lifecycle.run", "create", {"as_of": str(datetime.date.today())}),
        ("crm.purchase.model", "action_fit", [world.model]),
        ("crm.purchase.model", "create", {}),
        ("crm.purchase.model", "unlink", [world.model]),
        ("res.partner", "action_lifecycle_pin", [world.customer]),
        ("res.partner", "action_lifecycle_unpin", [world.customer]),
        ("res.partner", "action_lifecycle_refresh", [world.customer]),
        (
            "crm.lifecycle.pin.wizard",
            "create",
            {"partner_id": world.customer, "stage": "loyal", "reason": "x"},
        ),
        ("res.config.settings", "create", {"lifecycle_new_days": 10}),
        ("res.company", "write", [world.a], {"lifecycle_new_days": 10}),
        ("crm.loyalty.entry", "action_reconcile", []),
        ("loyalty.card", "action_crm_adjust", [world.card]),
        (
            "crm.loyalty.adjust.wizard",
            "create",
            {"card_id": world.card, "points": 5, "reason": "x"},
        ),
        (
            "crm.loyalty.behaviour.wizard",
            "create",
            {"partner_id": world.customer, "behaviour_id": world.behaviour},
        ),
        (
            "crm.loyalty.behaviour",
            "grant_behaviour_points",
            world.customer,
            "referral",
            "sal-ref",
        ),
        ("crm.loyalty.behaviour", "write", [world.behaviour], {"points": 1}),
        ("loyalty.program", "write", [world.program], {"crm_birthday_factor": 5}),
        ("loyalty.card", "create", {"program_id": world.program, "points": 5}),
        (
            "crm.loyalty.entry",
            "create",
            {"card_id": world.card, "points": 5, "entry_type": "bonus"},
        ),
        (
            "crm.loyalty.tier",
            "create",
            {"name": "x", "threshold": 1, "retention_threshold": 0},
        ),
        # Personal data and the preset are the managers'.
        ("res.partner", "action_lifecycle_export_personal_data", [world.customer]),
        ("res.partner", "action_lifecycle_anonymise", [world.customer]),
        ("crm.retail.china.preset", "create", {"member_weekday": "2"}),
        # Another salesperson's order (here admin's) is out of reach.
        ("sale.order", "action_confirm", [world.admin_order]),
    ]
    for model, method, *args in calls:
        _refused(sal, model, method, *args)
    # Odoo's balance wizard is open to salespeople; on a ledger card it is not.
    wizard = sal(
        "loyalty.card.update.balance",
        "create",
        {"card_id": world.card, "new_balance": 1000, "description": "x"},
    )
    _refused(sal, "loyalty.card.update.balance", "action_update_card_point", [wizard])
    entries = sal("crm.loyalty.entry", "search", [("card_id", "=", world.card)])
    _refused(sal, "crm.loyalty.entry", "write", entries, {"points": 1})
    _refused(sal, "crm.loyalty.entry", "unlink", entries)
    assert _snapshot(admin, world) == before


def test_other_companys_records_are_out_of_reach(admin, world):
    """A manager of company A passes the ids of company B's records."""
    mgr, w = world.manager, world
    before = _snapshot(admin, world)
    for model, method, *args in [
        ("loyalty.card", "action_crm_open_ledger", [w.card_b]),
        ("loyalty.card", "action_crm_adjust", [w.card_b]),
        ("loyalty.card", "write", [w.card_b], {"points": 1}),
        ("res.partner", "action_loyalty_open_ledger", [w.customer_b]),
        ("res.partner", "action_loyalty_statement", [w.customer_b]),
        ("res.partner", "action_lifecycle_pin", [w.customer_b]),
        ("res.partner", "action_lifecycle_refresh", [w.customer_b]),
        ("crm.purchase.model", "action_fit", [w.model_b]),
        ("crm.purchase.model", "unlink", [w.model_b]),
        ("sale.order", "action_confirm", [w.order_b]),
        ("loyalty.program", "write", [w.program_b], {"crm_birthday_factor": 5}),
        ("crm.loyalty.tier", "write", [w.tier_b], {"threshold": 20}),
        (
            "crm.loyalty.campaign",
            "create",
            {
                "name": "x",
                "program_id": w.program_b,
                "date_from": "2026-01-01",
                "date_to": "2026-02-01",
            },
        ),
        ("crm.loyalty.behaviour", "write", [w.behaviour_b], {"points": 1}),
        (
            "crm.loyalty.behaviour",
            "grant_behaviour_points",
            w.customer_b,
            "share",
            "cross-company",
        ),
        (
            "crm.loyalty.behaviour",
            "grant_behaviour_points",
            w.customer,
            "share",
            "cross-program",
            w.program_b,
        ),
    ]:
        _refused(mgr, model, method, *args)
    # Wizards accept the foreign id when created, and refuse it when run.
    for model, vals, method in [
        (
            "crm.loyalty.adjust.wizard",
            {"card_id": w.card_b, "points": 10, "reason": "x"},
            "action_adjust",
        ),
        (
            "loyalty.card.update.balance",
            {"card_id": w.card_b, "new_balance": 999, "description": "x"},
            "action_update_card_point",
        ),
        (
            "crm.loyalty.behaviour.wizard",
            {"partner_id": w.customer_b, "behaviour_id": w.behaviour_b},
            "action_grant",
        ),
        (
            "crm.loyalty.behaviour.wizard",
            {"partner_id": w.customer, "behaviour_id": w.behaviour_b},
            "action_grant",
        ),
        (
            "crm.lifecycle.pin.wizard",
            {"partner_id": w.customer_b, "stage": "loyal", "reason": "x"},
            "action_pin",
        ),
        (
            "crm.lifecycle.pin.wizard",
            {
                "partner_id": w.customer,
                "stage": "loyal",
                "reason": "x",
                "company_id": w.b,
            },
            "action_pin",
        ),
        ("crm.lifecycle.segment.export", {"company_id": w.b}, "action_export"),
    ]:
        wizard = mgr(model, "create", vals)
        _refused(mgr, model, method, [wizard])
    assert _snapshot(admin, world) == before


def test_ledger_entry_points_refuse_bad_points(admin, world):
    """Points, balances and references out of range or of the wrong type."""
    mgr, w = world.manager, world
    before = _snapshot(admin, world)
    for points in (*HUGE, 0, None, 2e9, -1e10):
        _refused(
            mgr,
            "crm.loyalty.adjust.wizard",
            "create",
            {"card_id": w.card, "points": points, "reason": "x"},
        )
    for vals in (
        {"card_id": 2**31 - 1, "points": 5, "reason": "x"},
        {"card_id": -1, "points": 5, "reason": "x"},
        {"card_id": None, "points": 5, "reason": "x"},
        {"card_id": w.card, "points": 5},
        {"card_id": w.card, "points": 5, "reason": None},
    ):
        _refused(mgr, "crm.loyalty.adjust.wizard", "create", vals)
    for vals in (
        {"card_id": w.card, "points": "many", "reason": "x"},
        {"card_id": w.card, "points": {"a": 1}, "reason": "x"},
        {"card_id": w.card, "points": [5], "reason": "x"},
    ):
        _refused_by_odoo_conversion(mgr, "crm.loyalty.adjust.wizard", "create", vals)
    # More than the balance, and a card outside the ledger.
    for card, points in ((w.card, -1000), (w.plain_card, 5)):
        wizard = mgr(
            "crm.loyalty.adjust.wizard",
            "create",
            {"card_id": card, "points": points, "reason": "x"},
        )
        _refused(mgr, "crm.loyalty.adjust.wizard", "action_adjust", [wizard])
    # Odoo's balance wizard: an absolute balance, never huge nor negative,
    # and a different one.
    [card] = mgr("loyalty.card", "read", [w.card], ["points"])
    for balance in (*HUGE, -5, card["points"]):
        wizard = mgr(
            "loyalty.card.update.balance",
            "create",
            {"card_id": w.card, "new_balance": balance, "description": "x"},
        )
        _refused(
            mgr, "loyalty.card.update.balance", "action_update_card_point", [wizard]
        )
    # Direct writes of a ledger card's balance become adjustments: never huge,
    # always a number, and the ledger's own context key is no way around it.
    for points in (*HUGE, "many", {"a": 1}):
        _refused(mgr, "loyalty.card", "write", [w.card], {"points": points})
        _refused(
            mgr,
            "loyalty.card",
            "write",
            [w.card],
            {"points": points},
            context={"crm_loyalty_posting": True},
        )
    for points in (1e308, float("nan"), -1e12):
        _refused(
            mgr,
            "loyalty.card",
            "create",
            {"program_id": w.program, "partner_id": w.customer, "points": points},
        )
    # A confirmed order whose points would be absurd is not confirmed.
    huge_order = _order(mgr, w.customer, w.product, price=5e9)
    _refused(mgr, "sale.order", "action_confirm", [huge_order])
    assert mgr("sale.order", "read", [huge_order], ["state"])[0]["state"] == "draft"
    # Entries are posted by the ledger only, whatever the context says.
    [entry] = mgr("crm.loyalty.entry", "search", [("card_id", "=", w.card)], limit=1)
    for model, method, *args in [
        ("crm.loyalty.entry", "write", [entry], {"points": 1e6}),
        ("crm.loyalty.entry", "unlink", [entry]),
        (
            "crm.loyalty.entry",
            "create",
            {
                "card_id": w.card,
                "program_id": w.program,
                "points": 5,
                "entry_type": "bonus",
                "source_key": "forged",
            },
        ),
    ]:
        _refused(admin, model, method, *args, context={"crm_loyalty_posting": True})
    mgr("sale.order", "unlink", [huge_order])
    assert _snapshot(admin, world) == before


def test_posting_context_cannot_bypass_the_ledger(admin, world):
    """A control: the same writes with sane values do move the balance, and
    only through an entry, even with the ledger's context key."""
    mgr, w = world.manager, world

    def state():
        [card] = mgr("loyalty.card", "read", [w.card], ["points"])
        entries = mgr(
            "crm.loyalty.entry", "search_read", [("card_id", "=", w.card)], ["points"]
        )
        return card["points"], round(sum(e["points"] for e in entries), 2)

    balance, total = state()
    assert balance == total
    mgr(
        "loyalty.card",
        "write",
        [w.card],
        {"points": balance + 7},
        context={"crm_loyalty_posting": True},
    )
    assert state() == (balance + 7, total + 7)
    mgr("loyalty.card", "write", [w.card], {"points": balance})
    assert state() == (balance, total)


def test_settings_refuse_huge_and_malformed_values(admin, world):
    """Multipliers, thresholds, behaviour points, campaign dates and factors,
    expiry and lifecycle settings."""
    mgr, w = world.manager, world
    before = _snapshot(admin, world)
    program_values = (
        [{"crm_member_day_factor": v} for v in (*HUGE, 101, 0.5, None)]
        + [{"crm_birthday_factor": v} for v in (*HUGE, 101)]
        + [{"crm_member_monthday": v} for v in (1e308, 1e10, 99999, 0, -1)]
        + [
            {"crm_expiry_policy": "months", "crm_expiry_months": v}
            for v in (1e308, 1e10, 99999, 0)
        ]
        + [{"crm_expiry_reminder_days": v} for v in (1e308, 1e10, 99999, -1)]
    )
    for vals in program_values:
        _refused(mgr, "loyalty.program", "write", [w.program], vals)
    for vals in program_values[:8]:
        _refused(mgr, "loyalty.program", "create", {"name": "x", **vals})
    _refused_by_odoo_conversion(
        mgr, "loyalty.program", "write", [w.program], {"crm_birthday_factor": "x"}
    )
    campaign = {
        "name": "RPC campaign",
        "program_id": w.program,
        "date_from": "2026-01-01",
        "date_to": "2026-02-01",
        "factor": 2,
    }
    for vals in (
        *({"factor": v} for v in (*HUGE, 101, 1, None)),
        {"date_from": "2026-03-01"},
        {"date_to": None},
        {"program_id": 2**31 - 1},
    ):
        _refused(mgr, "crm.loyalty.campaign", "create", {**campaign, **vals})
    for vals in ({"date_to": "not a date"}, {"date_to": "99999-01-01"}):
        _refused_by_odoo_conversion(
            mgr, "crm.loyalty.campaign", "create", {**campaign, **vals}
        )
    tier = {"name": "RPC tier", "threshold": 5e6, "retention_threshold": 4e6}
    for vals in (
        *({"threshold": v, "retention_threshold": 0} for v in (*HUGE, 2e9, -1)),
        *({"retention_threshold": v} for v in (float("nan"), 1e308, 6e6)),
        *({"multiplier": v} for v in (*HUGE, 101, 0.5)),
    ):
        _refused(mgr, "crm.loyalty.tier", "create", {**tier, **vals})
    behaviour = {"name": "RPC behaviour", "code": "rpc", "program_id": w.program}
    for vals in (
        *({"points": v} for v in (*HUGE, 2e9, 0, -5)),
        {"code": LONG_TEXT},
        {"code": "referral"},  # taken in this program
        {"cap_count": -1},
    ):
        _refused(mgr, "crm.loyalty.behaviour", "create", {**behaviour, **vals})
    for vals in ({"points": float("inf")}, {"code": LONG_TEXT}, {"cap_count": -1}):
        _refused(mgr, "crm.loyalty.behaviour", "write", [w.behaviour], vals)
    greeting = {"name": "x", "program_id": w.program, "subject": "x", "body": "x"}
    for vals in ({"month": 13}, {"day": 32}, {"month": 0}):
        _refused(mgr, "crm.loyalty.greeting", "create", {**greeting, **vals})
    company_values = [{"lifecycle_at_risk_factor": v} for v in (*HUGE, 101, 0.5)] + [
        {field: v}
        for field in (
            "lifecycle_new_days",
            "lifecycle_churned_days",
            "lifecycle_rfm_window_days",
            "lifecycle_refit_days",
            "loyalty_tier_grace_days",
            "loyalty_tier_warning_days",
        )
        for v in (1e10, 99999999, 36501 * 2, -5)
    ]
    for vals in company_values:
        _refused(admin, "res.company", "write", [w.a], vals)
    for vals in company_values[:7] + [{"lifecycle_nightly_hour": 99}]:
        _refused(admin, "res.config.settings", "create", vals)
    # Dates of a run or a fit that the date arithmetic cannot go through.
    for as_of in ("9999-12-31", "0001-01-01", "2200-01-01", "1800-01-01"):
        _refused(admin, "crm.lifecycle.run", "create", {"as_of": as_of})
        _refused(mgr, "crm.purchase.model", "create", {"calibration_end": as_of})
    _refused_by_odoo_conversion(
        mgr, "crm.purchase.model", "create", {"time_unit": "decade"}
    )
    assert _snapshot(admin, world) == before


def test_lifecycle_wizards_refuse_bad_input(admin, world):
    mgr, w = world.manager, world
    before = _snapshot(admin, world)
    pin = {"partner_id": w.customer, "stage": "loyal", "reason": "RPC pin"}
    for vals in (
        {"stage": None},
        {"reason": None},
        {"partner_id": 2**31 - 1},
        {"partner_id": None},
        {"pin_until": "2000-01-01"},
        {"company_id": 2**31 - 1},
    ):
        _refused(mgr, "crm.lifecycle.pin.wizard", "create", {**pin, **vals})
    for vals in ({"stage": "bogus"}, {"stage": 1e308}, {"pin_until": "soon"}):
        _refused_by_odoo_conversion(
            mgr, "crm.lifecycle.pin.wizard", "create", {**pin, **vals}
        )
    # A customer without any order has no lifecycle to pin.
    prospect = mgr("res.partner", "create", {"name": "RPC prospect"})
    wizard = mgr("crm.lifecycle.pin.wizard", "create", {**pin, "partner_id": prospect})
    _refused(mgr, "crm.lifecycle.pin.wizard", "action_pin", [wizard])
    # The unused fit of a company cannot be deleted while profiles use it...
    used = admin(
        "crm.lifecycle.profile",
        "search_read",
        [("purchase_model_id", "!=", False)],
        ["purchase_model_id"],
        limit=1,
    )
    if used:
        _refused(
            admin, "crm.purchase.model", "unlink", [used[0]["purchase_model_id"][0]]
        )
    for vals in ({"company_id": 2**31 - 1}, {"company_id": None}):
        _refused(mgr, "crm.lifecycle.segment.export", "create", vals)
    # Settings saved without a settings record reset nothing.
    for ids in ([], [0], [2**31 - 1]):
        _refused(admin, "res.config.settings", "set_values", ids)
    admin("res.partner", "unlink", [prospect])
    assert _snapshot(admin, world) == before


def test_days_since_last_order_search_refuses_what_is_not_a_number(admin, world):
    """The days since the last order are counted when read; a search on
    them becomes one on the last order's date, which a value that is not a
    number of days cannot give."""
    sal = world.salesman
    for operator, value in (
        (">", "soon"),
        (">", [1, 2]),
        (">", True),
        ("in", ["soon", 30]),
        ("not in", 30),
        ("like", "3"),
        *((">", huge) for huge in HUGE),
    ):
        fault = _refused(
            sal,
            "crm.lifecycle.profile",
            "search_read",
            [("days_since_last_order", operator, value)],
            ["partner_id"],
        )
        assert "compared with a number" in fault, (operator, value, fault)
    found = admin(
        "crm.lifecycle.profile",
        "search_read",
        [("days_since_last_order", ">=", 0)],
        ["days_since_last_order", "last_order_date"],
    )
    assert found and all(row["days_since_last_order"] >= 0 for row in found)


def test_grant_behaviour_points_validates_every_argument(admin, world):
    """The integrations' entry point: each wrong argument is named."""
    mgr, w = world.manager, world
    before = _snapshot(admin, world)
    # partner_id, code, reference, program_id, note
    good = [w.customer, "referral", "rpc-ref-1", w.program, None]
    for position, values in [
        (0, ["12", True, 1.5, None, {"id": 1}, [w.customer], 2**31 - 1, -1, 0]),
        (1, [None, 5, "", {"a": 1}, "no-such-code", LONG_TEXT]),
        (2, [None, 5, "", "   ", LONG_TEXT, ["r"]]),
        (3, ["x", True, 1.5, {"a": 1}, 2**31 - 1, w.plain_program, w.program_b]),
        (4, [5, {"a": 1}, ["note"]]),
    ]:
        for value in values:
            args = list(good)
            args[position] = value
            _refused(mgr, "crm.loyalty.behaviour", "grant_behaviour_points", *args)
    # Without program_id, a code two programs share is ambiguous.
    _refused(mgr, "crm.loyalty.behaviour", "grant_behaviour_points", *good[:3])
    # The same checks apply to the manager's wizard.
    for vals in ({"reference": LONG_TEXT}, {"behaviour_id": 2**31 - 1}):
        _refused(
            mgr,
            "crm.loyalty.behaviour.wizard",
            "create",
            {"partner_id": w.customer, "behaviour_id": w.behaviour, **vals},
        )
    mgr("crm.loyalty.behaviour", "write", [w.behaviour], {"active": False})
    wizard = mgr(
        "crm.loyalty.behaviour.wizard",
        "create",
        {"partner_id": w.customer, "behaviour_id": w.behaviour},
    )
    _refused(mgr, "crm.loyalty.behaviour.wizard", "action_grant", [wizard])
    mgr("crm.loyalty.behaviour", "write", [w.behaviour], {"active": True})
    assert _snapshot(admin, world) == before
    # A control: the good call grants, and the same reference grants once.
    first = mgr("crm.loyalty.behaviour", "grant_behaviour_points", *good)
    again = mgr("crm.loyalty.behaviour", "grant_behaviour_points", *good)
    assert first["points"] == 200 and not first["duplicate"]
    assert again["duplicate"] and again["entry_id"] == first["entry_id"]


def test_every_public_method_is_covered():
    """The lists above name every public method the addons define: a new one
    must join them (and so be tried with bad input)."""
    root = os.path.join(os.path.dirname(__file__), "..", "addons")
    defined = set()
    for addon in ("crm_lifecycle", "crm_loyalty"):
        for folder in ("models", "wizard"):
            path = os.path.join(root, addon, folder)
            for name in sorted(os.listdir(path)):
                if name.endswith(".py"):
                    with open(os.path.join(path, name), encoding="utf-8") as file:
                        source = file.read()
                    defined |= set(
                        re.findall(r"^    def ([a-z]\w*)\(", source, re.MULTILINE)
                    )
    covered = {method for _model, method in RECORD_METHODS + MODEL_METHODS + OVERRIDES}
    # init() is called by Odoo when the module is installed, not over RPC.
    assert defined - {"init"} <= covered, defined - covered
    assert len(RECORD_METHODS + MODEL_METHODS + OVERRIDES) == 41

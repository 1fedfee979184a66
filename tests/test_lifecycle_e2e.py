"""End-to-end flows over XML-RPC against a running Odoo with the suite and demo data."""

import base64
import io
import threading
import uuid
import xmlrpc.client
from datetime import datetime, timezone

import psycopg2
import pytest

STAGES = {
    "prospect",
    "new",
    "active",
    "loyal",
    "at_risk",
    "dormant",
    "churned",
    "won_back",
}


@pytest.fixture(scope="module")
def admin(demo_server):
    return demo_server.login("admin", "admin")


def test_demo_data_populates_every_stage_and_segment(admin):
    groups = admin(
        "res.partner",
        "read_group",
        [("lifecycle_stage", "!=", False)],
        ["lifecycle_stage"],
        ["lifecycle_stage"],
    )
    assert {g["lifecycle_stage"] for g in groups} == STAGES
    segments = admin(
        "crm.lifecycle.profile",
        "read_group",
        [("rfm_segment", "!=", False)],
        ["rfm_segment"],
        ["rfm_segment"],
    )
    assert len(segments) >= 10
    assert admin("crm.purchase.model", "search_count", [])
    assert admin("crm.lifecycle.stage.report", "search_count", []) > 50


def test_confirming_an_order_over_rpc_updates_the_stage(admin):
    partner = admin(
        "res.partner", "create", {"name": "RPC customer", "is_company": True}
    )
    product = admin(
        "product.product", "create", {"name": "RPC product", "type": "service"}
    )
    order = admin(
        "sale.order",
        "create",
        {
            "partner_id": partner,
            "order_line": [
                (0, 0, {"product_id": product, "product_uom_qty": 2, "price_unit": 60})
            ],
        },
    )
    [before] = admin("res.partner", "read", [partner], ["lifecycle_stage"])
    assert before["lifecycle_stage"] is False
    cron = _queue_cron(admin)
    triggers = _triggers(admin, cron)
    admin("sale.order", "action_confirm", [order])
    # Committed: the customer waits for the cron, which the confirmation
    # triggered; the cron's run updates it.
    [queued] = admin("res.partner", "read", [partner], ["lifecycle_stage"])
    assert queued["lifecycle_stage"] is False
    # One due trigger: the confirmation's, or one already due, which the
    # queue does not repeat.
    assert _triggers(admin, cron) == max(triggers, 1)
    admin("ir.cron", "method_direct_trigger", [cron])
    [after] = admin(
        "res.partner",
        "read",
        [partner],
        ["lifecycle_stage", "lifecycle_order_count", "lifecycle_historic_clv"],
    )
    assert after["lifecycle_stage"] == "new"
    assert after["lifecycle_order_count"] == 1
    assert after["lifecycle_historic_clv"] == pytest.approx(120.0)
    # A confirmed order opens a confirmation wizard unless told otherwise.
    admin(
        "sale.order", "action_cancel", [order], context={"disable_cancel_warning": True}
    )
    admin("ir.cron", "method_direct_trigger", [cron])
    [cancelled] = admin("res.partner", "read", [partner], ["lifecycle_stage"])
    assert cancelled["lifecycle_stage"] == "prospect"


def test_queue_cron_racing_confirmations_loses_no_customer(admin, demo_server):
    """8 workers: 6 confirm three orders each of their own new customer, 2
    run the queue's cron over and over meanwhile (a run that finds the cron
    busy is refused). However they interleave, once the cron has run after
    the last confirmation every customer counts its three orders: a
    confirmation committed during a run is left for the next one."""
    tag = uuid.uuid4().hex[:6]
    cron = _queue_cron(admin)
    product = admin(
        "product.product", "create", {"name": f"Race {tag}", "type": "service"}
    )
    customers = [
        admin("res.partner", "create", {"name": f"Race {tag} {i}", "is_company": True})
        for i in range(6)
    ]
    orders = {
        customer: [
            admin(
                "sale.order",
                "create",
                {
                    "partner_id": customer,
                    "order_line": [(0, 0, {"product_id": product, "price_unit": 10})],
                },
            )
            for _order in range(3)
        ]
        for customer in customers
    }
    barrier = threading.Barrier(8)
    outcomes = [[] for _worker in range(8)]

    def work(index):
        # One connection per worker: a ServerProxy is not thread-safe.
        call = demo_server.login("admin", "admin")
        barrier.wait()
        if index < 6:
            for order in orders[customers[index]]:
                call("sale.order", "action_confirm", [order])
                outcomes[index].append("confirmed")
            return
        for _run in range(6):
            try:
                call("ir.cron", "method_direct_trigger", [cron])
                outcomes[index].append("ran")
            except xmlrpc.client.Fault as fault:
                outcomes[index].append(fault.faultString.splitlines()[-1][:200])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert all(done == ["confirmed"] * 3 for done in outcomes[:6]), outcomes
    runs = [outcome for done in outcomes[6:] for outcome in done]
    assert "ran" in runs, runs
    assert all(o == "ran" or "being executed" in o for o in runs), runs
    admin("ir.cron", "method_direct_trigger", [cron])
    counts = admin("res.partner", "read", customers, ["lifecycle_order_count"])
    assert [row["lifecycle_order_count"] for row in counts] == [3] * 6


def _queue_cron(admin):
    model, cron = admin(
        "ir.model.data",
        "check_object_reference",
        "crm_lifecycle",
        "ir_cron_lifecycle_refresh_queue",
    )
    assert model == "ir.cron"
    return cron


def _triggers(admin, cron):
    """The cron's due triggers."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return admin(
        "ir.cron.trigger",
        "search_count",
        [("cron_id", "=", cron), ("call_at", "<=", now)],
    )


def test_salesman_reads_but_cannot_write(admin, demo_server):
    login = f"rpc_salesman_{uuid.uuid4().hex[:8]}"
    group = admin(
        "ir.model.data",
        "check_object_reference",
        "sales_team",
        "group_sale_salesman_all_leads",
    )[1]
    admin(
        "res.users",
        "create",
        {
            "name": "RPC Salesman",
            "login": login,
            "password": "rpc-Salesman-1",
            "groups_id": [
                (
                    6,
                    0,
                    [
                        group,
                        admin(
                            "ir.model.data",
                            "check_object_reference",
                            "base",
                            "group_user",
                        )[1],
                    ],
                )
            ],
        },
    )
    salesman = demo_server.login(login, "rpc-Salesman-1")
    profiles = salesman("crm.lifecycle.profile", "search_read", [], ["stage"], limit=5)
    assert profiles
    with pytest.raises(xmlrpc.client.Fault, match="AccessError|not allowed"):
        salesman(
            "crm.lifecycle.profile", "write", [profiles[0]["id"]], {"stage": "loyal"}
        )
    with pytest.raises(xmlrpc.client.Fault, match="AccessError|not allowed"):
        salesman("crm.lifecycle.run", "action_recompute_now", [])


def test_segment_export_over_rpc(admin):
    openpyxl = pytest.importorskip("openpyxl")
    wizard = admin("crm.lifecycle.segment.export", "create", {})
    admin("crm.lifecycle.segment.export", "action_export", [wizard])
    [data] = admin("crm.lifecycle.segment.export", "read", [wizard], ["file_data"])
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["file_data"])))
    assert book.sheetnames == ["Summary", "Customers"]
    assert book["Customers"].max_row > 150


def _lifecycle_indexes(db):
    """Indexes the suite added to Odoo's partner, journal entry and sale
    order tables."""
    conn = psycopg2.connect(dbname=db)
    try:
        cr = conn.cursor()
        cr.execute(
            "SELECT indexname FROM pg_indexes"
            " WHERE tablename IN ('res_partner', 'account_move', 'sale_order')"
            " AND indexname LIKE %s ORDER BY 1",
            ("%crm_lifecycle%",),
        )
        return [row[0] for row in cr.fetchall()]
    finally:
        conn.close()


def _has_index(db, name):
    conn = psycopg2.connect(dbname=db)
    try:
        cr = conn.cursor()
        cr.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", (name,))
        return bool(cr.fetchall())
    finally:
        conn.close()


def _has_view(db, name):
    conn = psycopg2.connect(dbname=db)
    try:
        cr = conn.cursor()
        cr.execute("SELECT 1 FROM pg_views WHERE viewname = %s", (name,))
        return bool(cr.fetchall())
    finally:
        conn.close()


def test_uninstall_leaves_no_trace(nodemo_server):
    admin = nodemo_server.login("admin", "admin")
    assert _has_view(nodemo_server.db, "crm_lifecycle_purchase")
    # crm_churn alone first: the index it added to crm_loyalty's lots
    # (crm.loyalty.lot._open_lot_indexes) goes with it, the lots stay.
    lot_index = "crm_loyalty_lot_open_partner_idx"
    assert _has_index(nodemo_server.db, lot_index)
    [churn] = admin("ir.module.module", "search", [("name", "=", "crm_churn")])
    admin("ir.module.module", "button_immediate_uninstall", [churn])
    assert not _has_index(nodemo_server.db, lot_index)
    assert admin("ir.model", "search_count", [("model", "=", "crm.loyalty.lot")])
    assert _lifecycle_indexes(nodemo_server.db) == [
        "account_move_crm_lifecycle_invoice_idx",
        "account_move_crm_lifecycle_refund_idx",
        "res_partner_crm_lifecycle_commercial_idx",
        "sale_order_crm_lifecycle_facts_idx",
    ]
    assert "lifecycle_stage" in admin(
        "res.partner", "fields_get", [], attributes=["type"]
    )
    [module] = admin("ir.module.module", "search", [("name", "=", "crm_lifecycle")])
    admin("ir.module.module", "button_immediate_uninstall", [module])
    [state] = admin("ir.module.module", "read", [module], ["state"])
    assert state["state"] == "uninstalled"
    fields = admin("res.partner", "fields_get", [], attributes=["type"])
    assert not {"lifecycle_stage", "rfm_segment", "lifecycle_value_class"} & set(fields)
    assert not admin("ir.model", "search_count", [("model", "like", "crm.lifecycle.%")])
    # crm_loyalty depends on crm_lifecycle: it goes too, and leaves no trace
    assert not admin("ir.model", "search_count", [("model", "like", "crm.loyalty.%")])
    assert "crm_ledger_managed" not in admin(
        "loyalty.program", "fields_get", [], attributes=["type"]
    )
    # crm_churn depends on both: gone too, with its columns on res_partner
    assert not admin("ir.model", "search_count", [("model", "like", "crm.churn.%")])
    # and the journeys, with the consent box every sender read
    assert not admin("ir.model", "search_count", [("model", "like", "crm.journey%")])
    assert "lifecycle_no_marketing" not in fields
    assert not {"churn_risk_score", "churn_risk_level"} & set(fields)
    # and the indexes it added to Odoo's partner, journal entry and order tables
    assert not _lifecycle_indexes(nodemo_server.db)
    # and the view of every channel's purchases
    assert not _has_view(nodemo_server.db, "crm_lifecycle_purchase")


def test_customers_filtered_by_lifecycle_figures_over_rpc(admin):
    """Figures kept on the profile, not mirrored on the partner, filter the
    customer list like the mirrored ones (the first-hour SQL error)."""
    for domain in (
        [("lifecycle_order_count", ">", 5)],
        [("lifecycle_historic_clv", ">", 1000)],
        [("lifecycle_prob_alive", "<", 0.5)],
    ):
        found = admin("res.partner", "search_read", domain, ["id"])
        field, operator, value = domain[0]
        rows = admin("res.partner", "read", [row["id"] for row in found], [field])
        assert found, domain
        for row in rows:
            if operator == ">":
                assert row[field] > value, (domain, row)
            else:
                assert row[field] < value, (domain, row)

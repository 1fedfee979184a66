"""Demo data of crm_churn: past alerts and tonight's run.

Called by ``crm.churn.run._load_demo_data`` (demo/crm_churn_demo.xml), on the
customers of crm_lifecycle's demo.
"""

from datetime import timedelta

from odoo import fields

# Enough for the reports on the 220 demo customers; a demo database filled by
# the generator does not need thousands of past alerts.
DEMO_PAST_ALERTS = 120


def load(env):
    """A year of past alerts on the lifecycle demo customers
    (won back by their later orders, or lost with reasons) and tonight's
    run. Past alerts are dated on the day the customer entered At risk or
    Dormant in the stage history rebuilt by crm_lifecycle's demo."""
    Run = env["crm.churn.run"]
    today = fields.Date.context_today(Run)
    company = env.company
    sellers = env.ref("base.user_admin") | env.ref(
        "base.user_demo", raise_if_not_found=False
    )
    customers = env["crm.lifecycle.profile"].search([]).partner_id
    unassigned = customers.filtered(lambda p: not p.user_id)
    for index, seller in enumerate(sellers):
        unassigned[index :: len(sellers)].with_context(tracking_disable=True).write(
            {"user_id": seller.id}
        )
    History = env["crm.lifecycle.stage.history"]
    entries = History.search(
        [
            ("stage", "in", ("at_risk", "dormant")),
            ("date_start", ">=", today - timedelta(days=365)),
            ("date_start", "<", today - timedelta(days=20)),
            ("company_id", "=", company.id),
        ],
        order="date_start desc",
    )
    seen = set()
    candidates = []
    for entry in entries:
        if len(candidates) >= DEMO_PAST_ALERTS:
            break
        if entry.partner_id.id in seen:
            continue
        seen.add(entry.partner_id.id)
        candidates.append(entry)
    Alert = env["crm.churn.alert"]
    for entry in candidates:
        level = "critical" if entry.stage == "dormant" else "high"
        Alert._open_for(
            [
                {
                    "partner_id": entry.partner_id.id,
                    "company_id": company.id,
                    "score": 85 if level == "critical" else 68,
                    "level": level,
                    "reason_data": [["stage", {"stage": entry.stage}]],
                    "historic_clv": entry.partner_id.lifecycle_historic_clv,
                }
            ],
            entry.date_start,
        )
    past = Alert.search([("offer_state", "=", "to_approve")])
    past._send_offer()
    Alert._detect_won_back()
    reasons = env["crm.churn.reason"].search([])
    stale = Alert.search(
        [
            ("stage", "in", ("new", "in_progress")),
            ("alert_date", "<", today - timedelta(days=60)),
        ],
        order="id",
    )
    for index, alert in enumerate(stale):
        if index % 3 == 2:
            alert.action_start()
            continue
        alert._set_lost(
            reasons[index % len(reasons)],
            env._("Demo: the customer told us on the phone."),
        )
    run = Run.create({"as_of": today})
    while run.state == "running":
        run._process_batch()

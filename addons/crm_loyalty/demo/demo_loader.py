"""Demo data of crm_loyalty: a points ledger on crm_lifecycle's demo orders.

Called by ``loyalty.program._crm_load_demo_data`` (demo/crm_loyalty_demo.xml).
"""

import random

from dateutil.relativedelta import relativedelta

from odoo import Command, fields


def load(env, program_id=None, months=18, seed=7):
    """Demo ledger: earn entries dated like the orders they come from, so
    that lots expire, a few redemptions and behaviour points, and tiers.

    ``program_id``: the demo program (demo/crm_loyalty_demo.xml), whose
    names are data that the addon's translations name; without it a
    program is created. A program that already has cards is left as it
    is: the demo is loaded again when the addon is updated."""
    rng = random.Random(seed)
    Program = env["loyalty.program"]
    program = Program.browse(program_id).exists()
    if program and program.coupon_ids:
        return program
    program = program or Program.create(
        {
            "name": env._("Member Points"),
            "program_type": "loyalty",
            "trigger": "auto",
            "applies_on": "both",
            "portal_visible": True,
            "portal_point_name": env._("Points"),
            "crm_member_day_kind": "weekday",
            "crm_member_weekday": "2",
            "crm_campaign_ids": [
                Command.create(
                    {
                        "name": env._("Double points week"),
                        "date_from": fields.Date.today() - relativedelta(days=3),
                        "date_to": fields.Date.today() + relativedelta(days=3),
                        "factor": 2.0,
                    }
                )
            ],
            "rule_ids": [
                Command.create({"reward_point_mode": "money", "reward_point_amount": 1})
            ],
            "reward_ids": [
                Command.create(
                    {
                        "reward_type": "discount",
                        "discount_mode": "per_order",
                        "discount": 10,
                        "required_points": 100,
                    }
                )
            ],
        }
    )
    since = fields.Datetime.now() - relativedelta(months=months)
    orders = env["sale.order"].search(
        [
            ("state", "=", "sale"),
            ("company_id", "=", env.company.id),
            ("date_order", ">=", since),
        ],
        order="date_order, id",
    )
    Entry = env["crm.loyalty.entry"]
    Card = env["loyalty.card"]
    cards = {}
    for order in orders:
        partner = order.partner_id.commercial_partner_id
        card = cards.get(partner.id) or Card.create(
            {"program_id": program.id, "partner_id": partner.id}
        )
        cards[partner.id] = card
        Entry._post(
            card,
            "earn",
            order.amount_untaxed,
            f"demo:sale.order:{order.id}",
            source=order,
            date=order.date_order,
            reason_code="order",
            reason_params={"order": order.name},
        )
        if card.points >= 300 and rng.random() < 0.15:
            Entry._post(
                card,
                "redeem",
                -100,
                f"demo:redeem:{order.id}",
                source=order,
                date=order.date_order,
                reason_code="order",
                reason_params={"order": order.name},
            )
    behaviours = program.crm_behaviour_ids
    for index, card in enumerate(cards.values()):
        if index % 4 == 0:
            behaviour = behaviours[index % len(behaviours)]
            behaviour._grant(card.partner_id, f"demo-{index}", None)
    env["crm.loyalty.lot"]._cron_expire(limit=100000)
    env["crm.loyalty.tier"]._update_members(env["res.partner"].browse(list(cards)))
    return program


def load_service_levels(env, seed=11):
    """Demo of the Service Levels report: activities created through the
    service level over the last weeks for members and a few customers
    without a tier, most done in time, some late, some still open past
    their due date. The tiers' service levels are left as they are (other
    addons' demo runs compute deadlines with them). Loaded once: nothing
    happens when the report already has rows."""
    Task = env["crm.loyalty.service.task"]
    if Task.search_count([], limit=1):
        return Task
    rng = random.Random(seed)
    company = env.company
    Partner = env["res.partner"].with_company(company)
    members = Partner.search([("loyalty_tier_id", "!=", False)], order="id", limit=40)
    others = Partner.search(
        [
            ("loyalty_tier_id", "=", False),
            ("is_company", "=", True),
            ("sale_order_ids", "!=", False),
        ],
        order="id",
        limit=8,
    )
    # Customers without a salesperson are shared by the demo's two users.
    sellers = [
        user
        for user in (
            env.ref("base.user_admin", raise_if_not_found=False),
            env.ref("base.user_demo", raise_if_not_found=False),
        )
        if user
    ]
    today = fields.Date.context_today(Task)
    now = fields.Datetime.now()
    quiet = env["mail.activity"].with_context(mail_activity_quick_update=True)
    call = env.ref("mail.mail_activity_data_call")
    for index, partner in enumerate(members | others):
        day = today - relativedelta(days=3 + index % 35)
        seller = partner.user_id or sellers[index % len(sellers)]
        owner, deadline = partner._loyalty_service(company, day, 3, seller)
        activity = quiet.create(
            {
                "res_model_id": env["ir.model"]._get_id("res.partner"),
                "res_id": partner.id,
                "activity_type_id": call.id,
                "summary": env._("Call to keep in touch"),
                "date_deadline": deadline,
                "user_id": owner.id,
            }
        )
        task = activity.loyalty_service_task_id
        start = fields.Datetime.to_datetime(day) + relativedelta(
            hours=8 + rng.randint(0, 9)
        )
        task.date_start = start
        draw = rng.random()
        if draw < 0.15 and deadline < today:
            continue  # still open, past its due date
        if draw < 0.65:
            done = start + relativedelta(hours=rng.randint(1, 20))
        else:
            done = fields.Datetime.to_datetime(deadline) + relativedelta(
                days=rng.randint(1, 4), hours=10
            )
        task._mark_done(min(done, now))
        activity.unlink()
    return Task.search([])

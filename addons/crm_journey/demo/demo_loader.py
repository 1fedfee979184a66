"""Demo data of crm_journey: individual members who look like the users'
(Chinese names, birthdays, mobile numbers, emails, some who opted out), with
18 months of orders, and two demo journeys run over the last 75 nights so
that their results (entries, conversions against the control group) show.

Called by ``crm.journey._load_demo_data`` (demo/crm_journey_demo.xml). The
ready journeys stay drafts.
"""

import random
from datetime import datetime, time, timedelta

from odoo import Command, fields

# (name, email user part, birth month, day)
MEMBERS = [
    ("王芳", "wang.fang", 1, 12),
    ("李娜", "li.na", 2, 3),
    ("张伟", "zhang.wei", 3, 21),
    ("刘洋", "liu.yang", 4, 8),
    ("陈静", "chen.jing", 5, 30),
    ("杨磊", "yang.lei", 6, 14),
    ("赵敏", "zhao.min", 7, 2),
    ("黄丽", "huang.li", 8, 19),
    ("周杰", "zhou.jie", 9, 9),
    ("吴婷", "wu.ting", 10, 25),
    ("徐强", "xu.qiang", 11, 6),
    ("孙悦", "sun.yue", 12, 17),
    ("马超", "ma.chao", 1, 28),
    ("朱琳", "zhu.lin", 2, 14),
    ("胡军", "hu.jun", 3, 5),
    ("郭晶", "guo.jing", 4, 22),
    ("何欢", "he.huan", 5, 11),
    ("林峰", "lin.feng", 6, 29),
    ("高洁", "gao.jie", 7, 16),
    ("罗斌", "luo.bin", 8, 1),
    ("郑爽", "zheng.shuang", 9, 23),
    ("梁宇", "liang.yu", 10, 4),
    ("谢娟", "xie.juan", 11, 18),
    ("宋涛", "song.tao", 12, 27),
]
NIGHTS = 75


def load(env, seed=11):
    """Members, their orders, and 75 nights of two demo journeys. Loaded
    once: members already there are left as they are."""
    Partner = env["res.partner"]
    if Partner.search_count([("email", "=", "wang.fang@example.com")], limit=1):
        return
    rng = random.Random(seed)
    today = fields.Date.context_today(Partner)
    installed = dict(env["res.lang"].get_installed())
    members = Partner.create(
        [
            {
                "name": name,
                "email": f"{user}@example.com",
                "mobile": f"+86 13{index % 10}{rng.randrange(10**7, 10**8)}",
                "birthdate_date": fields.Date.to_date(
                    f"{1970 + rng.randrange(35)}-{month:02d}-{day:02d}"
                ),
                "lang": "zh_CN" if "zh_CN" in installed else env.lang or "en_US",
                "lifecycle_no_marketing": index in (4, 15),
                # The shop's manager follows most members; a few have nobody.
                "user_id": False if index % 8 == 7 else env.ref("base.user_admin").id,
            }
            for index, (name, user, month, day) in enumerate(MEMBERS)
        ]
    )
    # Two more opted out of emails (Odoo's blacklist).
    for member in members[9:11]:
        env["mail.blacklist"]._add(member.email)
    product = env["product.product"].create(
        {"name": env._("Member gift box"), "list_price": 168.0, "sale_ok": True}
    )
    # A shop's rhythm: most come back every 20-60 days; some stopped 90-130
    # days ago (the 90-day journey takes them), some of whom come back.
    orders = []
    for index, member in enumerate(members):
        gap = rng.randrange(20, 60)
        stopped = (
            95 + rng.randrange(NIGHTS - 20) if index % 3 == 0 else rng.randrange(15)
        )
        day = today - timedelta(days=stopped)
        first = today - timedelta(days=540)
        while day > first:
            orders.append((member, day, rng.choice((88.0, 168.0, 268.0, 520.0))))
            day -= timedelta(days=gap + rng.randrange(-5, 6))
        if index % 3 == 0 and index % 2 == 0:
            # Came back some days after the journey's coupon.
            back = today - timedelta(days=stopped - 90 - rng.randrange(3, 15))
            if back < today:
                orders.append((member, back, 268.0))
    env["sale.order"].create(
        [
            {
                "partner_id": member.id,
                "state": "sale",
                "date_order": datetime.combine(day, time(11)),
                "order_line": [
                    Command.create({"product_id": product.id, "price_unit": amount})
                ],
            }
            for member, day, amount in orders
        ]
    )
    journeys = _demo_journeys(env, members)
    Profile = env["crm.lifecycle.profile"]
    Run = env["crm.journey.run"]
    for back in range(NIGHTS, -1, -1):
        night = today - timedelta(days=back)
        Profile._refresh_partners(members.ids, as_of=night)
        Run._process_partners(members.ids, night)
        journeys.write({"last_run_on": night})
    # The figures of today again for the members (the last night's).
    Profile._refresh_partners(members.ids, as_of=today)


def _demo_journeys(env, members):
    """Running copies of two ready journeys for the demo members, so that
    the ready ones stay drafts for the manager to start."""
    audience = repr([("id", "in", members.ids)])
    journeys = env.ref("crm_journey.journey_no_repurchase_90").copy(
        {
            "name": env._("Demo: 90 days without an order"),
            "control_share": 20.0,
            "partner_domain": audience,
        }
    ) | env.ref("crm_journey.journey_birthday").copy(
        {
            "name": env._("Demo: birthday month gift"),
            "control_share": 20.0,
            "partner_domain": audience,
        }
    )
    journeys.action_start()
    return journeys

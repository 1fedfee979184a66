"""Demo data of crm_lifecycle: a generated two-year sales history.

Called by ``crm.lifecycle.run._load_demo_data`` (demo/crm_lifecycle_demo.xml).
The histories themselves are pure maths, in ``tools/demo_history.py``.
"""

from datetime import datetime
from datetime import time as datetime_time

from odoo import Command, fields

from ..tools import demo_history


def load(env, customers=220, seed=42):
    """Create a generated two-year sales history and compute everything."""
    Run = env["crm.lifecycle.run"]
    today = fields.Date.context_today(Run)
    plan = demo_history.generate(customers, today=today, seed=seed)
    product = env["product.product"].create(
        {
            "name": env._("Lifecycle demo product"),
            "type": "service",
            "list_price": 100.0,
            "taxes_id": [Command.clear()],
        }
    )
    partners = env["res.partner"].create(
        [{"name": customer["name"], "is_company": True} for customer in plan]
    )
    order_vals = []
    for partner, customer in zip(partners, plan, strict=True):
        for day, amount in customer["orders"]:
            order_vals.append(
                {
                    "partner_id": partner.id,
                    "state": "sale",
                    "date_order": datetime.combine(day, datetime_time(10)),
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        for _quote in range(customer["quotes"]):
            order_vals.append(
                {
                    "partner_id": partner.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": 1,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )
    env["sale.order"].with_context(tracking_disable=True).create(order_vals)
    Run._rebuild_history(months=24, today=today)
    run = Run.create({"as_of": today})
    while run.state == "running":
        run._process_batch()

from odoo import Command
from odoo.tests import TransactionCase


class LoyaltyLedgerCommon(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        # Other programs (demo data, the customer's own) would also earn
        # points on the test orders: the tests run with theirs only.
        cls.env["loyalty.program"].search([]).write({"active": False})
        cls.product = cls.env["product.product"].create(
            {
                "name": "Ledger product",
                "type": "service",
                "list_price": 100.0,
                "taxes_id": [Command.clear()],
            }
        )
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "Ledger Loyalty",
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "crm_expiry_policy": "months",
                "crm_expiry_months": 12,
                "rule_ids": [
                    Command.create(
                        {"reward_point_mode": "money", "reward_point_amount": 1}
                    )
                ],
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount_mode": "per_order",
                            "discount": 10,
                            "discount_applicability": "order",
                            "required_points": 50,
                        }
                    )
                ],
            }
        )
        cls.reward = cls.program.reward_ids
        cls.partner = cls.env["res.partner"].create({"name": "Ledger Customer"})
        cls.Entry = cls.env["crm.loyalty.entry"]

    @classmethod
    def _order(cls, amount=100.0, partner=None):
        order = cls.env["sale.order"].create(
            {
                "partner_id": (partner or cls.partner).id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": 1,
                            "price_unit": amount,
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
            }
        )
        order._update_programs_and_rewards()
        return order

    def _card(self, partner=None):
        return self.env["loyalty.card"].search(
            [
                ("partner_id", "=", (partner or self.partner).id),
                ("program_id", "=", self.program.id),
            ]
        )

    @classmethod
    def _card_with(cls, points, partner=None):
        card = cls.env["loyalty.card"].create(
            {
                "program_id": cls.program.id,
                "partner_id": (partner or cls.partner).id,
                "points": points,
            }
        )
        return card

    def assertBalanced(self, card):
        self.assertEqual(
            self.Entry._reconcile(card.ids), {}, "balance = entries = lots"
        )
        self.assertAlmostEqual(card.points, sum(card.crm_entry_ids.mapped("points")))

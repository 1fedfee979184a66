from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import freeze_time, tagged

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from ..models.pos_config import PosConfig


@tagged("post_install", "-at_install")
class TestPosTour(TestPointOfSaleHttpCommon):
    """A cashier sells to a member in Chromium: the till shows the member's
    stars, balance and expiring points, announces the order's points with
    the birthday multiplier, and the ledger posts them as announced."""

    def test_cashier_sells_to_a_member(self):
        env = self.env
        env["loyalty.program"].search([]).write({"active": False})
        program = env["loyalty.program"].create(
            {
                "name": "Member points",
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "pos_ok": True,
                "crm_expiry_policy": "months",
                "crm_expiry_months": 1,
                "crm_birthday_factor": 3,
                "rule_ids": [
                    Command.create(
                        {"reward_point_mode": "money", "reward_point_amount": 1}
                    )
                ],
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount": 5,
                            "discount_mode": "per_order",
                            "discount_applicability": "order",
                            "required_points": 1000,
                        }
                    )
                ],
            }
        )
        today = fields.Date.context_today(self.pos_user.partner_id)
        member = env["res.partner"].create(
            {"name": "Star Member", "birthdate_date": today.replace(year=1990, day=1)}
        )
        tier = env["crm.loyalty.tier"].create(
            {
                "name": "Gold",
                "stars": "3",
                "threshold": 0,
                "retention_threshold": 0,
                "company_id": self.main_pos_config.company_id.id,
            }
        )
        member.with_company(
            self.main_pos_config.company_id
        ).sudo().loyalty_tier_id = tier
        # Earned ten days ago with a one-month expiry: all 100 expire soon.
        with freeze_time(fields.Datetime.now() - timedelta(days=10)):
            card = env["loyalty.card"].create(
                {"program_id": program.id, "partner_id": member.id, "points": 100}
            )
        self.assertEqual(member.loyalty_points_expiring_30, 100)
        # Points earned from now on last two months: whatever today's date,
        # the sale's points do not join those expiring within 30 days.
        program.crm_expiry_months = 2
        self.main_pos_config.with_user(self.pos_user).open_ui()
        calls = []
        member_info = PosConfig.crm_loyalty_member_info

        def counted(config, partner_id):
            calls.append(partner_id)
            return member_info(config, partner_id)

        with patch.object(PosConfig, "crm_loyalty_member_info", counted):
            self.start_pos_tour("crm_loyalty_pos_tour", login="pos_user")
        # Asked once, when the cashier chose the member; the receipt's
        # balance and expiring points are worked out by the till after the
        # sale, with no third call to the server.
        self.assertEqual(calls, [member.id])

        order = env["pos.order"].search([("partner_id", "=", member.id)])
        self.assertEqual(len(order), 1)
        entry = env["crm.loyalty.entry"].search(
            [("source_model", "=", "pos.order"), ("source_id", "=", order.id)]
        )
        self.assertEqual(entry.entry_type, "earn")
        self.assertEqual(entry.points, 96)
        self.assertIn("birthday month", entry.reason_display)
        self.assertEqual(card.points, 196)

from odoo import Command
from odoo.tests import Form, freeze_time, tagged

from .common import LoyaltyLedgerCommon

WEDNESDAY = "2026-03-18"


@tagged("post_install", "-at_install")
class TestPointsPreview(LoyaltyLedgerCommon):
    """The quotation says what it earns as soon as it has a customer and
    lines, before any reward is applied, without writing anything."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("crm_loyalty.decimal_loyalty_points").digits = 0
        cls.program.write({"crm_member_day_kind": "weekday", "crm_member_weekday": "2"})

    def _cards(self):
        return self.env["loyalty.card"].search_count(
            [("partner_id", "=", self.partner.id)]
        )

    @freeze_time(WEDNESDAY)
    def test_preview_while_the_quotation_is_edited(self):
        form = Form(self.env["sale.order"])
        form.partner_id = self.partner
        self.assertFalse(form.crm_loyalty_points_preview, "no lines, no points")
        with form.order_line.new() as line:
            line.product_id = self.product
            line.price_unit = 120.0
            line.tax_id.clear()
        self.assertEqual(
            form.crm_loyalty_points_preview, "120 x 2 (member day) = 240 points"
        )
        with form.order_line.edit(0) as line:
            line.product_uom_qty = 10
        self.assertEqual(
            form.crm_loyalty_points_preview, "1,200 x 2 (member day) = 2,400 points"
        )
        order = form.save()
        # Nothing was written: no card, no points counted on the order.
        self.assertFalse(order.coupon_point_ids)
        self.assertEqual(self._cards(), 0)
        order.invalidate_recordset(["crm_loyalty_points_preview"])
        self.assertEqual(
            order.crm_loyalty_points_preview, "1,200 x 2 (member day) = 2,400 points"
        )
        order.action_confirm()
        [earned] = self._card().crm_entry_ids
        self.assertEqual(earned.points, 2400, "the ledger posts what was announced")
        self.assertEqual(
            order.crm_loyalty_points_preview, "1,200 x 2 (member day) = 2,400 points"
        )

    @freeze_time("2026-03-19")
    def test_preview_rounds_like_the_ledger(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "price_unit": 99.99,
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
            }
        )
        self.assertEqual(order.crm_loyalty_points_preview, "99 points")
        order.action_confirm()
        self.assertEqual(self._card().crm_entry_ids.points, 99)
        self.assertBalanced(self._card())

    @freeze_time("2026-03-19")
    def test_preview_costs_a_few_queries(self):
        """Every change of a line recomputes the preview, in a request of its
        own: beyond the order, its lines and products, which the form holds
        already, it reads the programs and their rules (as sale_loyalty
        does), the order's counted points and the member's tier and
        birthdate."""
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "price_unit": 100})
                ],
            }
        )
        self.assertEqual(order.crm_loyalty_points_preview, "100 points")
        self.env.flush_all()
        self.env.invalidate_all()

        # What the form holds: the order, its lines, products and customer.
        def stored(records):
            return [name for name, field in records._fields.items() if field.store]

        order.read(stored(order))
        order.order_line.read(stored(order.order_line))
        order.order_line.product_id.read(["name", "list_price"])
        order.partner_id.read(["name", "commercial_partner_id", "birthdate_date"])
        self.env.user.read(["tz", "lang"])
        with self.assertQueryCount(__system__=8):
            self.assertEqual(order.crm_loyalty_points_preview, "100 points")

    def test_no_preview_without_customer_or_programme(self):
        order = self.env["sale.order"].new(
            {
                "partner_id": self.partner.id,
                "order_line": [Command.create({"product_id": self.product.id})],
            }
        )
        self.program.active = False
        self.assertFalse(order.crm_loyalty_points_preview)

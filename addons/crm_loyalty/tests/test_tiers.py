from datetime import date

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from odoo.addons.crm_lifecycle.tests.common import index_scans, order_scans

from .common import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestTiers(LoyaltyLedgerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tier = cls.env["crm.loyalty.tier"]
        Tier.search([("company_id", "=", cls.company.id)]).unlink()
        Pricelist = cls.env["product.pricelist"]
        cls.silver_prices = Pricelist.create(
            {
                "name": "Silver test prices",
                "item_ids": [
                    (
                        0,
                        0,
                        {
                            "applied_on": "3_global",
                            "compute_price": "percentage",
                            "percent_price": 10,
                        },
                    )
                ],
            }
        )
        cls.bronze = Tier.create(
            {"name": "Bronze", "stars": "1", "threshold": 0, "retention_threshold": 0}
        )
        cls.silver = Tier.create(
            {
                "name": "Silver",
                "stars": "2",
                "threshold": 1000,
                "retention_threshold": 800,
                "multiplier": 1.25,
                "pricelist_id": cls.silver_prices.id,
            }
        )
        cls.gold = Tier.create(
            {
                "name": "Gold",
                "stars": "3",
                "threshold": 3000,
                "retention_threshold": 2500,
                "multiplier": 1.5,
            }
        )
        cls.company.write(
            {
                "loyalty_tier_basis": "earned",
                "loyalty_tier_window": "rolling",
                "loyalty_tier_grace_days": 30,
                # Upgrades as the order is confirmed, so that each test sees
                # them at once; in the background (the default) in
                # test_upgrade_moments_later_in_the_background.
                "lifecycle_refresh_on_order": "confirm",
            }
        )

    def test_metrics_read_covering_indexes_alone(self):
        """Tiers on points earned read a batch's entries, tiers on amounts
        spent or orders its orders, from covering indexes alone (the init of
        crm.loyalty.entry, SaleOrder._lifecycle_facts_index)."""
        Tier = self.env["crm.loyalty.tier"]
        for basis in ("earned", "spent", "orders"):
            self.company.loyalty_tier_basis = basis
            query = Tier._metrics_query(
                self.company, [self.partner.id], date(2026, 1, 1), date(2026, 12, 31)
            )
            if basis == "earned":
                index = "crm_loyalty_entry_partner_idx"
                scans = index_scans(self.env, query, "crm_loyalty_entry", index)
            else:
                scans = order_scans(self.env, query)
                index = "sale_order_crm_lifecycle_facts_idx"
            self.assertTrue(scans, basis)
            for scan in scans:
                self.assertIn(f"Index Only Scan using {index}", scan)

    @freeze_time("2026-03-19")
    def test_upgrade_moments_later_in_the_background(self):
        """Where the company updates its customers in the background, the
        confirmation queues the customer and the cron upgrades the tier,
        with its price list, as the confirmation would have."""
        self.company.lifecycle_refresh_on_order = "queue"
        self._order(1100.0).action_confirm()
        self.assertFalse(self.partner.loyalty_tier_id)
        self.env["crm.lifecycle.refresh.queue"]._cron_process()
        self.assertEqual(self.partner.loyalty_tier_id, self.silver)
        self.assertEqual(self.partner.property_product_pricelist, self.silver_prices)
        history = self.env["crm.loyalty.tier.history"].search(
            [("partner_id", "=", self.partner.id)]
        )
        self.assertEqual(history.to_tier_id, self.silver)

    @freeze_time("2026-03-19")
    def test_spending_in_other_channels_counts_for_tiers(self):
        """On amounts spent or orders, an invoice without a sale order counts
        like an order (the lifecycle's other purchases), and its customer is
        upgraded moments later like one who confirmed an order."""
        self.company.write(
            {"loyalty_tier_basis": "spent", "lifecycle_refresh_on_order": "queue"}
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner.id,
                "invoice_date": date(2026, 3, 18),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "quantity": 1,
                            "price_unit": 700.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        self._order(400.0).action_confirm()
        Tier = self.env["crm.loyalty.tier"]
        metrics = Tier._metrics(
            self.company, [self.partner.id], date(2026, 1, 1), date(2026, 3, 19)
        )
        self.assertEqual(metrics, {self.partner.id: 1100.0})
        self.company.loyalty_tier_basis = "orders"
        metrics = Tier._metrics(
            self.company, [self.partner.id], date(2026, 1, 1), date(2026, 3, 19)
        )
        self.assertEqual(metrics, {self.partner.id: 2.0})
        self.company.loyalty_tier_basis = "spent"
        self.env["crm.lifecycle.refresh.queue"]._cron_process()
        self.assertEqual(self.partner.loyalty_tier_id, self.silver)

    @freeze_time("2026-03-19")
    def test_upgrade_at_once_with_discount_stars_and_history(self):
        self._order(400.0).action_confirm()
        self.assertEqual(self.partner.loyalty_tier_id, self.bronze)
        self._order(700.0).action_confirm()
        self.assertEqual(self.partner.loyalty_tier_id, self.silver)
        self.assertEqual(self.partner.loyalty_tier_stars, "2")
        self.assertEqual(self.partner.property_product_pricelist, self.silver_prices)
        history = self.env["crm.loyalty.tier.history"].search(
            [("partner_id", "=", self.partner.id)], order="id"
        )
        self.assertEqual(history.to_tier_id, self.bronze | self.silver)
        self.assertEqual(history[-1].from_tier_id, self.bronze)
        # New quotations get the tier's pricelist, and Silver earns x 1.25.
        order = self._order(100.0)
        self.assertEqual(order.pricelist_id, self.silver_prices)
        self.assertIn("Silver", order.crm_loyalty_points_preview)
        order.action_confirm()
        earned = self._card().crm_entry_ids.filtered(
            lambda e: e.source_id == order.id and e.entry_type == "earn"
        )
        self.assertEqual(earned.points, 125)

    @freeze_time("2026-03-19")
    def test_spending_points_never_drops_a_tier(self):
        self._order(1500.0).action_confirm()
        self.assertEqual(self.partner.loyalty_tier_id, self.silver)
        self.Entry._post(self._card(), "redeem", -1400, "test:tier:spend", "Big gift")
        self.env["crm.loyalty.tier"]._update_members(self.partner)
        self.assertEqual(self.partner.loyalty_tier_id, self.silver)

    def test_requalification_moves_down_one_tier_at_most(self):
        with freeze_time("2024-12-10"):
            self._order(3500.0).action_confirm()
        self.assertEqual(self.partner.loyalty_tier_id, self.gold)
        keeper = self.env["res.partner"].create({"name": "Keeper"})
        with freeze_time("2025-06-10"):
            self._order(3000.0, partner=keeper).action_confirm()
            self.assertEqual(keeper.loyalty_tier_id, self.gold)
        self.company.loyalty_tier_next_review = date(2026, 1, 31)
        with freeze_time("2026-01-30"):
            self.env["crm.loyalty.tier"]._cron_requalify()
        self.assertEqual(
            self.partner.loyalty_tier_id, self.gold, "not before the review"
        )
        with freeze_time("2026-01-31"):
            self.env["crm.loyalty.tier"]._cron_requalify()
        # The window ends on 1 January 2026 (a 30-day grace period before the
        # review): the first customer's 3,500 points of December 2024 are out
        # of it, the keeper's 3,000 of June 2025 are in.
        self.assertEqual(self.partner.loyalty_tier_id, self.silver)
        self.assertEqual(keeper.loyalty_tier_id, self.gold)
        self.assertEqual(self.company.loyalty_tier_next_review, date(2027, 1, 31))
        last = self.env["crm.loyalty.tier.history"].search(
            [("partner_id", "=", self.partner.id)], order="id desc", limit=1
        )
        self.assertEqual((last.from_tier_id, last.to_tier_id), (self.gold, self.silver))
        self.assertEqual(last.reason_display, "Yearly requalification")

    def test_review_runs_in_batches_across_calls(self):
        """One batch of members per cron call, resumed from the company's
        cursor, with what remains reported to the cron; the review date moves
        on only after the last batch, and a cursor left by warnings that did
        not finish before the review day skips nobody."""
        with freeze_time("2024-12-10"):
            self._order(3500.0).action_confirm()
        keeper = self.env["res.partner"].create({"name": "Keeper"})
        with freeze_time("2025-06-10"):
            self._order(3000.0, partner=keeper).action_confirm()
        members = (
            self.env["res.partner"]
            .with_company(self.company)
            .search([("loyalty_tier_id", "!=", False)], order="id")
        )
        self.assertIn(keeper, members)
        self.company.write(
            {
                "loyalty_tier_next_review": date(2026, 1, 31),
                "loyalty_tier_review_cursor": max(members.ids) + 1,
            }
        )
        progress = self.env["ir.cron.progress"].create(
            {
                "cron_id": self.env.ref("crm_loyalty.ir_cron_loyalty_requalify").id,
                "done": 0,
                "remaining": 0,
            }
        )
        Tier = self.env["crm.loyalty.tier"].with_context(
            ir_cron_progress_id=progress.id
        )
        calls = 0
        with freeze_time("2026-01-31"):
            while self.company.loyalty_tier_next_review == date(2026, 1, 31):
                Tier._cron_requalify(batch_size=1)
                calls += 1
                self.assertLessEqual(calls, len(members))
                if self.company.loyalty_tier_next_review == date(2026, 1, 31):
                    self.assertEqual(progress.remaining, len(members) - calls)
                    self.assertEqual(
                        self.company.loyalty_tier_review_cursor, members[calls - 1].id
                    )
        self.assertEqual(calls, len(members))
        self.assertEqual(progress.remaining, 0)
        self.assertEqual(self.company.loyalty_tier_review_cursor, 0)
        self.assertEqual(self.partner.loyalty_tier_id, self.silver)
        self.assertEqual(keeper.loyalty_tier_id, self.gold)
        with freeze_time("2026-02-01"):  # done for the year
            Tier._cron_requalify(batch_size=1)
        self.assertEqual(progress.done, 0)

    @freeze_time("2026-03-19")
    def test_behaviour_points_can_upgrade(self):
        self.program.crm_behaviour_ids.filtered(
            lambda b: b.code == "referral"
        ).points = 1000
        self.env["crm.loyalty.behaviour"].grant_behaviour_points(
            self.partner.id, "referral", "ref-1"
        )
        self.assertEqual(self.partner.loyalty_tier_id, self.silver)

    def test_tiers_are_per_company(self):
        other = self.env["res.company"].create({"name": "Tier Co B"})
        with freeze_time("2026-03-19"):
            self._order(1500.0).action_confirm()
        self.assertEqual(self.partner.loyalty_tier_id, self.silver)
        self.assertFalse(self.partner.with_company(other).loyalty_tier_id)

    def test_bad_thresholds_are_refused(self):
        with self.assertRaises(ValidationError):
            self.silver.retention_threshold = 5000
        with self.assertRaises(ValidationError):
            self.silver.multiplier = 0.5

    def test_members_at_risk_are_warned_once_before_the_review(self):
        salesperson = self.env["res.users"].search([("login", "=", "admin")], limit=1)
        self.partner.write({"email": "member@example.com", "user_id": salesperson.id})
        with freeze_time("2024-12-20"):
            self._order(1100.0).action_confirm()
        self.assertEqual(self.partner.loyalty_tier_id, self.silver)
        self.company.write(
            {
                "loyalty_tier_next_review": date(2026, 1, 31),
                "loyalty_tier_warning_days": 30,
            }
        )
        Tier = self.env["crm.loyalty.tier"]
        with freeze_time("2025-11-20"):  # before the warning window
            Tier._cron_requalify()
        self.assertFalse(self.partner.activity_ids)
        with freeze_time("2025-12-05"):
            Tier._cron_requalify()
            Tier._cron_requalify()
        activity = self.partner.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, salesperson)
        self.assertEqual(activity.date_deadline, date(2026, 1, 1))
        mail = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.partner.id)]
        )
        self.assertEqual(len(mail), 1)
        self.assertIn("Silver", mail.subject)
        self.assertEqual(self.partner.loyalty_tier_id, self.silver, "no change yet")

    def test_a_member_who_opted_out_gets_no_email_but_the_salesperson_knows(self):
        salesperson = self.env["res.users"].search([("login", "=", "admin")], limit=1)
        self.partner.write({"email": "member@example.com", "user_id": salesperson.id})
        self.env["mail.blacklist"]._add("member@example.com")
        with freeze_time("2024-12-20"):
            self._order(1100.0).action_confirm()
        self.company.write(
            {
                "loyalty_tier_next_review": date(2026, 1, 31),
                "loyalty_tier_warning_days": 30,
            }
        )
        with freeze_time("2025-12-05"):
            self.env["crm.loyalty.tier"]._cron_requalify()
        self.assertEqual(len(self.partner.activity_ids), 1)
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", "res.partner"), ("res_id", "=", self.partner.id)]
            )
        )

    def test_a_member_who_asked_for_no_marketing_gets_no_tier_email(self):
        salesperson = self.env["res.users"].search([("login", "=", "admin")], limit=1)
        self.partner.write(
            {
                "email": "member@example.com",
                "user_id": salesperson.id,
                "lifecycle_no_marketing": True,
            }
        )
        with freeze_time("2024-12-20"):
            self._order(1100.0).action_confirm()
        self.company.write(
            {
                "loyalty_tier_next_review": date(2026, 1, 31),
                "loyalty_tier_warning_days": 30,
            }
        )
        with freeze_time("2025-12-05"):
            self.env["crm.loyalty.tier"]._cron_requalify()
        self.assertEqual(len(self.partner.activity_ids), 1)
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", "res.partner"), ("res_id", "=", self.partner.id)]
            )
        )

    def test_pricelists_feature_is_on_so_settings_keep_tier_pricelists(self):
        self.assertTrue(self.env.user.has_group("product.group_product_pricelist"))
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.group_product_pricelist)
        settings.execute()
        self.assertTrue(self.silver_prices.active)

    def test_new_customers_get_no_member_discount(self):
        """Each company has its default pricelist, before the tier ones: a
        customer without a tier never gets a member discount by default."""
        tier_pricelists = (
            self.env.ref("crm_loyalty.pricelist_tier_silver")
            | self.env.ref("crm_loyalty.pricelist_tier_gold")
            | self.env.ref("crm_loyalty.pricelist_tier_platinum")
        )
        customer = self.env["res.partner"].create({"name": "Walk-in customer"})
        self.assertTrue(customer.property_product_pricelist)
        self.assertNotIn(customer.property_product_pricelist, tier_pricelists)
        self.assertFalse(customer.property_product_pricelist.item_ids)
        order = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [Command.create({"product_id": self.product.id})],
            }
        )
        self.assertEqual(order.order_line.price_unit, 100.0)

    def test_overlapping_tiers_are_refused(self):
        with self.assertRaises(ValidationError):
            self.gold.threshold = 1000  # same as Silver
        with self.assertRaises(ValidationError):
            self.gold.retention_threshold = 900  # keeps Gold below Silver's entry
        with self.assertRaises(ValidationError):
            self.env["crm.loyalty.tier"].create(
                {"name": "Silver bis", "threshold": 1000, "retention_threshold": 1000}
            )

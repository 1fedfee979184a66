from datetime import date

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from .common import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestLedger(LoyaltyLedgerCommon):
    @freeze_time("2026-03-15")
    def test_confirmation_earns_a_lot(self):
        order = self._order(120.0)
        order.action_confirm()
        card = self._card()
        self.assertEqual(card.points, 120)
        [entry] = card.crm_entry_ids
        self.assertEqual(entry.entry_type, "earn")
        self.assertEqual(entry.points, 120)
        self.assertEqual(
            (entry.source_model, entry.source_id), ("sale.order", order.id)
        )
        self.assertEqual(entry.lot_id.remaining, 120)
        self.assertEqual(entry.expiry_date, date(2027, 3, 15))
        self.assertBalanced(card)

    def test_redeem_consumes_the_lot_that_expires_first(self):
        with freeze_time("2026-01-10"):
            card = self._card_with(0)
            early = card._crm_post_adjustment(100, "January")
        with freeze_time("2026-03-10"):
            late = card._crm_post_adjustment(100, "March")
            self.program.crm_expiry_policy = "never"
            forever = card._crm_post_adjustment(100, "Never expires")
        with freeze_time("2026-04-01"):
            spend = self.Entry._post(card, "redeem", -150, "test:redeem:1", "Gift")
        taken = {a.lot_id.entry_id: a.points for a in spend.allocation_ids}
        self.assertEqual(taken, {early: 100, late: 50})
        self.assertEqual(early.lot_id.remaining, 0)
        self.assertEqual(late.lot_id.remaining, 50)
        self.assertEqual(forever.lot_id.remaining, 100)
        self.assertFalse(forever.expiry_date)
        self.assertBalanced(card)

    @freeze_time("2026-03-15")
    def test_reward_on_an_order_redeems_then_earns(self):
        card = self._card_with(80)
        order = self._order(100.0)
        order._apply_program_reward(self.reward, card)
        order.action_confirm()
        types = {e.entry_type: e.points for e in card.crm_entry_ids}
        self.assertEqual(types["redeem"], -50)
        self.assertEqual(types["adjust"], 80)
        self.assertIn("earn", types)
        self.assertAlmostEqual(card.points, 80 - 50 + types["earn"])
        self.assertBalanced(card)

    @freeze_time("2026-03-15")
    def test_cancel_reverses_and_reconfirm_earns_again(self):
        card = self._card_with(80)
        order = self._order(100.0)
        order._apply_program_reward(self.reward, card)
        order.action_confirm()
        balance = card.points
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(card.points, 80)
        reversals = card.crm_entry_ids.filtered(lambda e: e.entry_type == "reversal")
        self.assertEqual(len(reversals), 2)
        self.assertEqual(
            set(reversals.reversed_entry_id.mapped("entry_type")), {"earn", "redeem"}
        )
        # The redeemed points went back to the lot they came from.
        initial_lot = card.crm_entry_ids.filtered(
            lambda e: e.entry_type == "adjust"
        ).lot_id
        self.assertEqual(initial_lot.remaining, 80)
        self.assertBalanced(card)
        # History rows are kept (Odoo would delete its own).
        self.assertEqual(len(card.crm_entry_ids), 5)
        order.action_draft()
        order._update_programs_and_rewards()
        order.action_confirm()
        earns = card.crm_entry_ids.filtered(lambda e: e.entry_type == "earn")
        self.assertEqual(len(earns), 2)
        self.assertEqual(len(set(earns.mapped("source_key"))), 2)
        self.assertBalanced(card)
        self.assertGreater(balance, 0)

    @freeze_time("2026-03-15 10:00:00")
    def test_earned_points_are_written_as_the_orm_would(self):
        """Earnings insert their entry and lot by SQL (one statement): every
        column the ORM would fill is there, and what the ORM had cached of
        the card's entries and lots is read again."""
        card = self._card_with(0)
        card.crm_entry_ids.mapped("points"), card.crm_lot_ids.mapped("points")
        clerk = new_test_user(
            self.env, login="ledger_clerk", groups="sales_team.group_sale_salesman"
        )
        entry = self.Entry.with_user(clerk)._post(
            card, "bonus", 40, "test:orm-columns", "Forty", source=self.partner
        )
        self.assertEqual(card.crm_entry_ids, entry)
        self.assertEqual(card.crm_lot_ids, entry.lot_id)
        self.assertEqual(card.points, 40)
        self.assertEqual(entry.name, f"LE/{entry.id:06d}")
        self.assertEqual(
            (entry.entry_type, entry.points, entry.reason, entry.source_key),
            ("bonus", 40, "Forty", "test:orm-columns"),
        )
        self.assertEqual(
            (entry.source_model, entry.source_id), ("res.partner", self.partner.id)
        )
        self.assertEqual(
            (entry.card_id, entry.program_id, entry.partner_id, entry.company_id),
            (card, self.program, self.partner, self.company),
        )
        self.assertEqual(
            (entry.user_id, entry.create_uid, entry.write_uid), (clerk,) * 3
        )
        self.assertEqual(str(entry.date), "2026-03-15 10:00:00")
        self.assertTrue(entry.create_date and entry.write_date)
        self.assertFalse(entry.reversed_entry_id)
        self.assertEqual(entry.shortfall, 0)
        lot = entry.lot_id
        self.assertEqual(lot.entry_id, entry)
        self.assertEqual(
            (lot.card_id, lot.program_id, lot.partner_id, lot.company_id),
            (card, self.program, self.partner, self.company),
        )
        self.assertEqual((lot.points, lot.remaining), (40, 40))
        self.assertEqual(lot.expiry_date, date(2027, 3, 15))
        self.assertEqual(entry.expiry_date, lot.expiry_date)
        self.assertEqual(lot.create_uid, clerk)
        self.assertBalanced(card)

    @freeze_time("2026-03-15")
    def test_an_event_is_posted_once(self):
        order = self._order(100.0)
        order.action_confirm()
        card = self._card()
        order._crm_loyalty_post_order()  # a retried hook
        self.assertEqual(len(card.crm_entry_ids), 1)
        self.assertEqual(card.points, 100)
        again = self.Entry._post(card, "bonus", 5, "test:once", "Once")
        self.assertEqual(self.Entry._post(card, "bonus", 5, "test:once", "Once"), again)
        self.assertEqual(card.points, 105)

    def test_overspending_is_refused_and_nothing_is_written(self):
        card = self._card_with(30)
        with self.assertRaises(UserError):
            self.Entry._post(card, "redeem", -31, "test:overspend", "Too much")
        card.invalidate_recordset()
        self.assertEqual(card.points, 30)
        self.assertFalse(self.Entry.search([("source_key", "=", "test:overspend")]))

    @freeze_time("2026-03-15")
    def test_reversal_takes_what_is_left_and_records_the_shortfall(self):
        order = self._order(100.0)
        order.action_confirm()
        card = self._card()
        self.Entry._post(card, "redeem", -80, "test:spent", "Spent elsewhere")
        order.with_context(disable_cancel_warning=True).action_cancel()
        reversal = card.crm_entry_ids.filtered(lambda e: e.entry_type == "reversal")
        self.assertEqual(reversal.points, -20)
        self.assertEqual(reversal.shortfall, 80)
        self.assertEqual(card.points, 0)
        self.assertBalanced(card)

    def test_update_balance_wizard_posts_a_signed_adjustment(self):
        card = self._card_with(40)
        wizard = self.env["loyalty.card.update.balance"].create(
            {"card_id": card.id, "new_balance": 25, "description": "Damaged goods"}
        )
        wizard.action_update_card_point()
        adjust = card.crm_entry_ids.filtered(lambda e: e.reason == "Damaged goods")
        self.assertEqual(adjust.points, -15)
        self.assertEqual(card.points, 25)
        self.assertEqual(card.history_ids.used, 15)
        self.assertBalanced(card)
        salesman = new_test_user(
            self.env, "ledger_salesman", groups="sales_team.group_sale_salesman"
        )
        wizard = (
            self.env["loyalty.card.update.balance"]
            .with_user(salesman)
            .create({"card_id": card.id, "new_balance": 99, "description": "Oops"})
        )
        with self.assertRaises(UserError):
            wizard.action_update_card_point()

    def test_manager_adjustment_wizard(self):
        card = self._card_with(10)
        action = card.action_crm_adjust()
        form = Form(self.env[action["res_model"]].with_context(**action["context"]))
        form.points = 15
        form.reason = "Goodwill"
        form.save().action_adjust()
        self.assertEqual(card.points, 25)
        with self.assertRaises(ValidationError):
            self.env["crm.loyalty.adjust.wizard"].create(
                {"card_id": card.id, "points": 0, "reason": "Nothing"}
            )

    def test_direct_balance_writes_become_adjustments(self):
        card = self._card_with(10)
        card.points = 35
        self.assertEqual(card.points, 35)
        direct = card.crm_entry_ids.filtered(
            lambda e: e.reason_display == "Balance changed directly"
        )
        self.assertEqual(direct.points, 25)
        self.assertEqual(direct.entry_type, "adjust")
        self.assertBalanced(card)

    def test_entries_cannot_be_edited_or_deleted(self):
        card = self._card_with(10)
        entry = card.crm_entry_ids
        with self.assertRaises(UserError):
            entry.sudo().write({"points": 1000})
        with self.assertRaises(UserError):
            entry.sudo().unlink()
        with self.assertRaises(UserError):
            self.Entry.sudo().create(
                {
                    "entry_type": "bonus",
                    "points": 5,
                    "card_id": card.id,
                    "program_id": self.program.id,
                    "source_key": "forged",
                }
            )
        self.assertEqual(entry.points, 10)

    def test_expiry_runs_once(self):
        with freeze_time("2025-01-10"):
            card = self._card_with(0)
            card._crm_post_adjustment(70, "Old points")
        with freeze_time("2026-01-05"):
            card._crm_post_adjustment(30, "Recent points")
        with freeze_time("2026-02-01"):
            self.assertEqual(self.Entry._cron_expire(), 1)
            self.assertEqual(self.Entry._cron_expire(), 0)
        expired = card.crm_entry_ids.filtered(lambda e: e.entry_type == "expire")
        self.assertEqual(expired.points, -70)
        self.assertEqual(card.points, 30)
        self.assertBalanced(card)

    @mute_logger("odoo.addons.crm_loyalty.models.crm_loyalty_entry")
    def test_reconciliation_reports_a_tampered_balance(self):
        card = self._card_with(10)
        self.assertBalanced(card)
        self.env.cr.execute(
            "UPDATE loyalty_card SET points = 99 WHERE id = %s", [card.id]
        )
        self.assertEqual(self.Entry._reconcile(card.ids), {card.id: (99, 10, 10)})
        self.assertIn(card.id, self.Entry._cron_reconcile())

    @mute_logger("odoo.addons.crm_loyalty.models.crm_loyalty_entry")
    def test_weekly_reconciliation_checks_every_card_a_slice_at_a_time(self):
        """The cron checks a slice of cards per call, resumes where the last
        call stopped, tells Odoo how many cards remain, and starts over once
        every card was checked."""
        cards = self._card_with(10) | self._card_with(20) | self._card_with(30)
        self.env.cr.execute(
            "UPDATE loyalty_card SET points = 99 WHERE id = %s", [cards[1].id]
        )
        params = self.env["ir.config_parameter"]
        params.set_param("crm_loyalty.reconcile_next_card", cards[0].id)
        progress = self.env["ir.cron.progress"].create(
            {
                "cron_id": self.env.ref("crm_loyalty.ir_cron_loyalty_reconcile").id,
                "done": 0,
                "remaining": 0,
            }
        )
        Entry = self.Entry.with_context(ir_cron_progress_id=progress.id)
        self.assertEqual(Entry._cron_reconcile(batch_size=1), {})
        self.assertEqual(
            params.get_param("crm_loyalty.reconcile_next_card"), str(cards[1].id)
        )
        self.assertEqual((progress.done, progress.remaining), (1, 2))
        self.assertEqual(
            Entry._cron_reconcile(batch_size=1), {cards[1].id: (99, 20, 20)}
        )
        self.assertEqual((progress.done, progress.remaining), (1, 1))
        self.assertEqual(Entry._cron_reconcile(batch_size=5), {})
        self.assertEqual((progress.done, progress.remaining), (1, 0))
        self.assertEqual(params.get_param("crm_loyalty.reconcile_next_card"), "0")
        # A whole night, from the first card: the tampered card is found once.
        found, calls = [], 0
        while True:
            calls += 1
            found += list(Entry._cron_reconcile(batch_size=50))
            if params.get_param("crm_loyalty.reconcile_next_card") == "0":
                break
        self.assertEqual(found, [cards[1].id])
        total = self.env["loyalty.card"].with_context(active_test=False)
        self.assertEqual(calls, -(-total.search_count([]) // 50))

    def test_programs_outside_the_ledger_keep_odoo_behaviour(self):
        self.program.crm_ledger_managed = False
        card = self._card_with(10)
        card.points = 20
        self.assertFalse(card.crm_entry_ids)
        self.assertEqual(card.points, 20)

    def test_ledger_cannot_be_switched_off_once_used(self):
        self._card_with(10)
        with self.assertRaises(ValidationError):
            self.program.crm_ledger_managed = False

    def test_switching_an_existing_program_on_books_opening_balances(self):
        self.program.write({"crm_ledger_managed": False})
        card = self._card_with(42)
        self.assertFalse(card.crm_entry_ids)
        self.program.crm_ledger_managed = True
        self.assertEqual(card.points, 42)
        [opening] = card.crm_entry_ids
        self.assertEqual((opening.entry_type, opening.points), ("adjust", 42))
        self.assertEqual(opening.lot_id.remaining, 42)
        self.assertBalanced(card)

    def test_customer_loyalty_tab(self):
        with freeze_time("2025-04-10"):
            card = self._card_with(30)
        with freeze_time("2026-03-15"):
            card._crm_post_adjustment(50, "Recent")
            contact = self.env["res.partner"].create(
                {"name": "Buyer", "parent_id": self.partner.id}
            )
            self.partner.is_company = True
            (self.partner | contact).invalidate_recordset()
            self.assertEqual(self.partner.loyalty_ledger_card_ids, card)
            self.assertEqual(contact.loyalty_ledger_card_ids, card)
            self.assertEqual(self.partner.loyalty_points_expiring_30, 30)
            self.assertEqual(self.partner.loyalty_points_expiring_90, 30)
            self.assertEqual(len(self.partner.loyalty_recent_entry_ids), 2)
            action = self.partner.action_loyalty_open_ledger()
            self.assertEqual(
                self.env["crm.loyalty.entry"].search(action["domain"]),
                card.crm_entry_ids,
            )

    @freeze_time("2026-03-15")
    def test_excel_statement_reads_back(self):
        import base64
        import io

        import openpyxl

        card = self._card_with(40)
        self._order(100.0).action_confirm()
        self.Entry._post(card, "redeem", -25, "test:statement", "Gift")
        action = self.partner.action_loyalty_statement()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[-1].split("?")[0])
        )
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        self.assertEqual(book.sheetnames, ["Balances", "Entries"])
        balances = list(book["Balances"].iter_rows(min_row=4, values_only=True))
        self.assertEqual(balances[0][2], 115)
        rows = list(book["Entries"].iter_rows(min_row=2, values_only=True))
        self.assertEqual([r[3] for r in rows], [40, 100, -25])
        self.assertEqual([r[4] for r in rows], [40, 140, 115])
        self.assertEqual(rows[-1][5], "Gift")

    def test_manager_check_button(self):
        card = self._card_with(10)
        action = self.Entry.action_reconcile()
        self.assertEqual(action["params"]["type"], "success")
        self.env.cr.execute(
            "UPDATE loyalty_card SET points = 12 WHERE id = %s", [card.id]
        )
        action = self.Entry.action_reconcile()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn(card.code, action["params"]["message"])
        salesman = new_test_user(
            self.env, "ledger_check_salesman", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(UserError):
            self.Entry.with_user(salesman).action_reconcile()

    def test_demo_data_keeps_every_invariant(self):
        customer = self.env["res.partner"].create({"name": "Demo shopper"})
        with freeze_time("2025-09-03"):
            order = self._order(400.0, partner=customer)
            order.action_confirm()
        with freeze_time("2026-03-15"):
            program = self.env["loyalty.program"]._crm_load_demo_data(months=18)
            demo_card = self.env["loyalty.card"].search(
                [("program_id", "=", program.id), ("partner_id", "=", customer.id)]
            )
            earned = demo_card.crm_entry_ids.filtered(lambda e: e.entry_type == "earn")
            self.assertEqual((earned.points, earned.source_id), (400, order.id))
            self.assertEqual(earned.date.date().isoformat(), "2025-09-03")
            self.assertEqual(self.Entry._reconcile(program.coupon_ids.ids), {})
            if self.env["crm.loyalty.tier"].search(
                [("company_id", "=", self.company.id)]
            ):
                self.assertTrue(customer.loyalty_tier_id)

    def test_programs_created_after_installation_use_the_ledger(self):
        # Demo and later programs default to the ledger; those that existed
        # before installation were left out by the pre-init hook.
        program = self.env["loyalty.program"].create(
            {"name": "Later", "program_type": "loyalty"}
        )
        self.assertTrue(program.crm_ledger_managed)
        self.assertTrue(program._crm_is_ledger())

    @freeze_time("2026-03-15")
    def test_milestone_mail_for_ledger_cards(self):
        """Odoo's "when reaching" mail goes out for ledger cards too, once,
        when an order's points cross the milestone; not for opening
        balances, which the card already held."""
        self.partner.email = "ledger.customer@example.com"
        milestone = {
            "trigger": "points_reach",
            "points": 150,
            "mail_template_id": self.env.ref("loyalty.mail_template_loyalty_card").id,
        }
        self.program.communication_plan_ids = [Command.create(milestone)]

        def mails(card):
            return self.env["mail.mail"].search_count(
                [("model", "=", "loyalty.card"), ("res_id", "=", card.id)]
            )

        self._order(100.0).action_confirm()
        card = self._card()
        self.assertEqual((card.points, mails(card)), (100, 0))
        self._order(100.0).action_confirm()
        self.assertEqual((card.points, mails(card)), (200, 1))
        self._order(100.0).action_confirm()
        self.assertEqual(mails(card), 1, "the milestone was passed already")
        self.assertBalanced(card)
        # A program that joins the ledger books its cards' balances without
        # mailing their holders again.
        other = self.env["loyalty.program"].create(
            {
                "name": "Joins the ledger",
                "program_type": "loyalty",
                "crm_ledger_managed": False,
                "communication_plan_ids": [Command.create(milestone)],
            }
        )
        held = self.env["loyalty.card"].create(
            {"program_id": other.id, "partner_id": self.partner.id, "points": 500}
        )
        before = mails(held)
        other.crm_ledger_managed = True
        self.assertEqual(held.crm_entry_ids.mapped("points"), [500])
        self.assertEqual(mails(held), before)

import base64
import io
from datetime import date, datetime
from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools.translate import code_translations

from .common import LoyaltyLedgerCommon


def translated(module, lang, terms):
    """Patch the code translations of ``module`` in ``lang`` with ``terms``
    (source -> translation), as a .po file would give them."""
    current = dict(code_translations.get_python_translations(module, lang))
    return patch.dict(
        code_translations.python_translations,
        {(module, lang): {**current, **terms}},
    )


@tagged("post_install", "-at_install")
class TestWording(LoyaltyLedgerCommon):
    """Texts the ledger writes are stored as codes and values and worded for
    whoever reads them; points are counted and shown one way everywhere."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.precision = cls.env.ref("crm_loyalty.decimal_loyalty_points")
        cls.precision.digits = 0

    def _shown(self, record, lang, tz, field="reason_display"):
        return record.with_context(lang=lang, tz=tz)[field]

    # ------------------------------------------------------------------
    # Reasons
    # ------------------------------------------------------------------

    def test_expiry_reason_is_worded_in_the_readers_time_zone_and_language(self):
        # 20:30 UTC on 6 November is 04:30 on 7 November in Shanghai.
        with freeze_time("2025-11-06 20:30:00"):
            card = self._card_with(70)
        with freeze_time("2026-11-08"):
            self.Entry._cron_expire()
        expired = card.crm_entry_ids.filtered(lambda e: e.entry_type == "expire")
        # Stored as a code and the lot's date, never as a sentence.
        self.assertFalse(expired.reason)
        self.assertEqual(expired.reason_code, "expire")
        self.assertEqual(expired.reason_params, {"earned_on": "2025-11-06 20:30:00"})
        self.assertEqual(
            self._shown(expired, "en_US", "UTC"), "Points earned on 11/06/2025 expired"
        )
        self.assertEqual(
            self._shown(expired, "en_US", "Asia/Shanghai"),
            "Points earned on 11/07/2025 expired",
        )
        self.assertEqual(
            self._shown(expired, "fr_FR", "Asia/Shanghai"),
            "Points earned on 07/11/2025 expired",
        )
        with translated(
            "crm_loyalty",
            "zh_CN",
            {"Points earned on %(date)s expired": "%(date)s 获得的积分已过期"},
        ):
            self.assertEqual(
                self._shown(expired, "zh_CN", "Asia/Shanghai"),
                "2025年11月07日 获得的积分已过期",
            )
        # A reader's own settings, as a request gives them.
        reader = new_test_user(
            self.env,
            "ledger_reader_zh",
            groups="sales_team.group_sale_salesman",
            lang="zh_CN",
            tz="Asia/Shanghai",
        )
        self.assertIn(
            "2025年11月07日",
            expired.with_user(reader)
            .with_context(**reader.with_user(reader).context_get())
            .reason_display,
        )
        self.assertBalanced(card)

    def test_reasons_written_before_codes_are_worded_too(self):
        """Entries of an earlier version kept English text with a raw UTC
        timestamp; they are read back as their code, never edited."""
        card = self._card_with(70)
        old = self.Entry._post(
            card,
            "adjust",
            -5,
            "legacy:expire",
            reason="Points earned on 2025-11-06 20:30:00 expired",
        )
        self.assertFalse(old.reason_code)
        self.assertEqual(
            self._shown(old, "fr_FR", "Asia/Shanghai"),
            "Points earned on 07/11/2025 expired",
        )
        typed = self.Entry._post(
            card, "adjust", 5, "legacy:typed", reason="Order S00012 was a gift"
        )
        self.assertEqual(
            self._shown(typed, "fr_FR", "Asia/Shanghai"), "Order S00012 was a gift"
        )

    @freeze_time("2026-03-18")  # a Wednesday: member day
    def test_order_reasons_are_worded_in_the_readers_language(self):
        self.program.write(
            {"crm_member_day_kind": "weekday", "crm_member_weekday": "2"}
        )
        order = self._order(1200.0)
        order.action_confirm()
        [earned] = self._card().crm_entry_ids
        self.assertFalse(earned.reason)
        self.assertEqual(earned.reason_code, "order_earn")
        self.assertEqual(
            earned.reason_params,
            {
                "order": order.name,
                "base": 1200.0,
                "points": 2400.0,
                "factors": [{"kind": "member_day", "value": 2.0}],
            },
        )
        self.assertEqual(
            self._shown(earned, "en_US", "UTC"),
            f"Order {order.name}: 1,200 x 2 (member day) = 2,400 points",
        )
        with translated(
            "crm_loyalty",
            "zh_CN",
            {
                "Order %(order)s": "订单 %(order)s",
                "member day": "会员日",
                "%(base)s x %(factors)s (%(why)s) = %(points)s points": (
                    "%(base)s × %(factors)s（%(why)s）= %(points)s 积分"
                ),
            },
        ):
            self.assertEqual(
                self._shown(earned, "zh_CN", "Asia/Shanghai"),
                f"订单 {order.name}：1,200 × 2（会员日）= 2,400 积分",
            )
        order.with_context(disable_cancel_warning=True).action_cancel()
        reversal = self._card().crm_entry_ids.filtered(
            lambda e: e.entry_type == "reversal"
        )
        self.assertEqual(reversal.reason_code, "order_cancel")
        with translated(
            "crm_loyalty",
            "zh_CN",
            {"Order %(order)s cancelled": "订单 %(order)s 已取消"},
        ):
            self.assertEqual(
                self._shown(reversal, "zh_CN", "UTC"), f"订单 {order.name} 已取消"
            )

    def test_behaviour_names_follow_the_reader_and_typed_reasons_stay(self):
        behaviour = self.program.crm_behaviour_ids.filtered(
            lambda b: b.code == "review"
        )
        behaviour.with_context(lang="zh_CN").name = "撰写评价"
        entry, _duplicate = behaviour._grant(self.partner, "review-1", "5 stars")
        self.assertFalse(entry.reason)
        self.assertEqual(self._shown(entry, "en_US", "UTC"), "Wrote a review: 5 stars")
        self.assertEqual(self._shown(entry, "zh_CN", "UTC"), "撰写评价：5 stars")
        # A manager's typed reason is kept as typed, in every language; so
        # are the texts of entries posted before reasons were codes.
        card = self._card()
        typed = card._crm_post_adjustment(5, "Geschenk für Frau Li")
        self.assertEqual(self._shown(typed, "zh_CN", "UTC"), "Geschenk für Frau Li")
        self.assertEqual(self._shown(typed, "en_US", "UTC"), "Geschenk für Frau Li")
        # Searching the reason finds codes' values and typed texts.
        Entry = self.Entry.with_context(lang="en_US")
        self.assertEqual(Entry.search([("reason_display", "ilike", "Frau Li")]), typed)
        self.assertIn(entry, Entry.search([("reason_display", "ilike", "5 stars")]))

    def test_default_behaviours_are_named_in_every_installed_language(self):
        terms = {"Wrote a review": "撰写评价", "Checked in at a store": "门店签到"}
        with translated("crm_loyalty", "zh_CN", terms):
            program = self.env["loyalty.program"].create(
                {"name": "Named behaviours", "program_type": "loyalty"}
            )
        review = program.crm_behaviour_ids.filtered(lambda b: b.code == "review")
        self.assertEqual(review.with_context(lang="en_US").name, "Wrote a review")
        self.assertEqual(review.with_context(lang="zh_CN").name, "撰写评价")
        # A language whose translations are loaded later names them too,
        # but never over a name a user gave.
        checkin = program.crm_behaviour_ids.filtered(lambda b: b.code == "checkin")
        checkin.with_context(lang="fr_FR").name = "Passage en boutique"
        with translated(
            "crm_loyalty",
            "fr_FR",
            {"Wrote a review": "A écrit un avis", "Checked in at a store": "Visite"},
        ):
            self.env["ir.module.module"]._load_module_terms(["crm_loyalty"], ["fr_FR"])
        self.assertEqual(review.with_context(lang="fr_FR").name, "A écrit un avis")
        self.assertEqual(checkin.with_context(lang="fr_FR").name, "Passage en boutique")

    def test_demo_and_default_names_are_exported_for_translation(self):
        """Names the addon gives (the demo program and its campaign, the
        default behaviours, tiers, reasons) are terms of its translations."""
        from odoo.tools.translate import TranslationModuleReader

        rows = list(TranslationModuleReader(self.env.cr, ["crm_loyalty"]))
        records = {(row[2], row[4]) for row in rows if row[1] == "model"}
        # The demo program and its campaign are data: their names are
        # translated on the records themselves.
        for field, term in (
            ("loyalty.program,name", "Member Points"),
            ("loyalty.program,portal_point_name", "Points"),
            ("crm.loyalty.campaign,name", "Double points week"),
            ("crm.loyalty.tier,name", "Silver"),
            ("product.pricelist,name", "Gold members"),
        ):
            self.assertIn((field, term), records)
        # Default behaviours and reasons are terms of the code.
        code = {row[4] for row in rows if row[1] == "code"}
        for term in (
            "Shared on social media",
            "Referred a new customer",
            "Points earned on %(date)s expired",
        ):
            self.assertIn(term, code)
        self.assertIn("Yearly requalification", {row[4] for row in rows})

    def test_tier_reasons_and_activity_in_the_readers_language(self):
        Tier = self.env["crm.loyalty.tier"]
        Tier.search([("company_id", "=", self.company.id)]).unlink()
        gold = Tier.create(
            {"name": "Gold", "threshold": 500, "retention_threshold": 400}
        )
        gold.with_context(lang="fr_FR").name = "Or"
        self.partner.write({"lang": "fr_FR", "email": "client@example.com"})
        seller = new_test_user(
            self.env, "tier_seller_fr", groups="sales_team.group_sale_salesman"
        )
        seller.lang = "fr_FR"
        self.partner.user_id = seller
        with freeze_time("2025-03-01"):
            self.Entry._post(self._card_with(0), "earn", 500, "test:tier:earn")
            Tier._update_members(self.partner, mode="requalify", today=date(2025, 3, 1))
        history = self.env["crm.loyalty.tier.history"].search(
            [("partner_id", "=", self.partner.id)]
        )
        self.assertEqual((history.reason_code, history.reason), ("requalify", False))
        selection = self.env["ir.model.fields.selection"].search(
            [
                ("field_id.model", "=", "crm.loyalty.tier.history"),
                ("field_id.name", "=", "reason_code"),
                ("value", "=", "requalify"),
            ]
        )
        selection.update_field_translations("name", {"fr_FR": "Requalification"})
        self.assertEqual(self._shown(history, "fr_FR", "UTC"), "Requalification")
        self.assertEqual(self._shown(history, "en_US", "UTC"), "Yearly requalification")
        # The warning before the review: the customer's email and the
        # salesperson's activity are written in their languages.
        with (
            translated(
                "crm_loyalty",
                "fr_FR",
                {
                    "Keep %(tier)s: %(missing)s still needed": (
                        "Garder %(tier)s : encore %(missing)s"
                    ),
                    "%(points)s points": "%(points)s points",
                },
            ),
            freeze_time("2026-12-01"),
        ):
            at_risk = Tier._warn_members_at_risk(
                self.company, date(2026, 12, 1), date(2026, 12, 31), self.partner
            )
        self.assertEqual(at_risk, self.partner)
        activity = self.partner.activity_ids
        # Nothing earned in 2026: 400 points still needed to keep Gold.
        self.assertEqual(activity.summary, "Garder Or : encore 400 points")
        mail = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.partner.id)]
        )
        self.assertIn("Or", mail.subject)
        self.assertIn("31/12/2026", mail.body_html)

    # ------------------------------------------------------------------
    # Points: one rounding, one wording
    # ------------------------------------------------------------------

    def test_points_are_whole_by_default_and_the_ledger_stays_balanced(self):
        card = self._card_with(0)
        earned = self.Entry._post(card, "earn", 2905.86, "test:round:earn")
        self.assertEqual(earned.points, 2905, "earned points are rounded down")
        self.assertEqual(earned.lot_id.points, 2905)
        adjusted = self.Entry._post(card, "adjust", -10.5, "test:round:adjust")
        self.assertEqual(adjusted.points, -11)
        self.assertEqual(card.points, 2894)
        self.assertBalanced(card)
        # An entry of another precision (posted before, or by a precision
        # changed since) is reversed exactly.
        self.precision.digits = 2
        cents = self.Entry._post(card, "earn", 12.34, "test:round:cents")
        self.assertEqual(cents.points, 12.34)
        self.precision.digits = 0
        back = self.Entry._post(
            card, "reversal", -12.34, "test:round:back", reverses=cents
        )
        self.assertEqual(back.points, -12.34)
        self.assertEqual(card.points, 2894)
        self.assertBalanced(card)
        # Managers adjust in whole points.
        with self.assertRaises(ValidationError):
            self.env["crm.loyalty.adjust.wizard"].create(
                {"card_id": card.id, "points": 12.5, "reason": "Half"}
            )

    def test_one_wording_of_points(self):
        Entry = self.Entry
        self.assertEqual(Entry._format_points(2905.06), "2,905")
        self.assertEqual(Entry._format_points(2947.5), "2,948")
        self.assertEqual(Entry._format_points(40, signed=True), "+40")
        self.assertEqual(Entry._format_points(-40, signed=True), "-40")
        french = Entry.with_context(lang="fr_FR")._format_points(2905.06)
        self.assertNotEqual(french, "2,905")
        self.assertEqual(french.replace("\u202f", " ").replace("\xa0", " "), "2 905")
        card = self._card_with(2947)
        self.assertEqual(card.points_display, "2,947 Points")
        self.precision.digits = 2
        self.assertEqual(Entry._format_points(2905.06), "2,905.06")
        card.invalidate_recordset(["points_display"])
        self.assertEqual(card.points_display, "2,947.00 Points")

    def test_excel_statement_in_the_readers_format(self):
        import openpyxl

        with freeze_time("2026-03-15 20:30:00"):
            card = self._card_with(1234)
        reader = self.partner.with_context(lang="en_US", tz="Asia/Shanghai")
        action = reader.action_loyalty_statement()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[-1].split("?")[0])
        )
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        [row] = list(book["Entries"].iter_rows(min_row=2))
        self.assertEqual(row[0].value, datetime(2026, 3, 16, 4, 30))
        self.assertEqual(row[0].number_format, "mm/dd/yyyy hh:mm:ss")
        self.assertEqual((row[3].value, row[3].number_format), (1234, "#,##0"))
        self.assertEqual(row[5].value, "Initial balance")
        self.assertBalanced(card)

    def test_tier_progress_rules(self):
        from ..tools import tiers

        rules = [
            tiers.Tier(1, 0, 0),
            tiers.Tier(2, 1000, 800),
            tiers.Tier(3, 3000, 2500),
        ]
        target, missing, ratio = tiers.progress(2, 1800, rules)
        self.assertEqual((target.tier_id, missing, ratio), (3, 1200, 0.4))
        # Without a tier yet, from 0 to the tier the metric does not reach.
        target, missing, ratio = tiers.progress(None, 250, rules)
        self.assertEqual((target.tier_id, missing, ratio), (2, 750, 0.25))
        # An upgrade still pending counts from the tier the metric reaches.
        target, missing, _ratio = tiers.progress(1, 3100, rules)
        self.assertIsNone(target)
        self.assertEqual(tiers.progress(3, 10, rules), (None, 0.0, 1.0))
        self.assertEqual(tiers.progress(None, 0, []), (None, 0.0, 1.0))

    # ------------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------------

    def test_loyalty_has_its_own_settings_with_units(self):
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"][
            "form"
        ]["arch"]
        self.assertIn('name="crm_loyalty"', arch)
        loyalty_app = arch[arch.index('name="crm_loyalty"') :]
        for field in (
            "crm_loyalty_point_digits",
            "loyalty_tier_basis",
            "loyalty_tier_grace_days",
            "loyalty_tier_warning_days",
        ):
            self.assertIn(f'name="{field}"', loyalty_app)
        lifecycle_app = arch[arch.index('name="crm_lifecycle"') :]
        lifecycle_app = lifecycle_app[: lifecycle_app.index("</app>")]
        self.assertNotIn("loyalty_tier", lifecycle_app)
        self.assertIn("days after the end of the year", loyalty_app)
        self.assertIn("days before the end of the year", loyalty_app)
        self.assertIn("decimals", loyalty_app)
        settings = Form(self.env["res.config.settings"])
        self.assertEqual(settings.crm_loyalty_point_digits, 0)
        settings.crm_loyalty_point_digits = 1
        settings.save().execute()
        self.assertEqual(self.precision.digits, 1)
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"crm_loyalty_point_digits": 3})

    def test_every_table_has_its_heading(self):
        """Each table of the customer's Loyalty tab and of the program's
        Points Ledger tab comes right after its own heading."""
        from lxml import etree

        def preceding_heading(arch, field):
            node = etree.fromstring(arch).xpath(f"//field[@name='{field}']")[0]
            sibling = node.getprevious()
            while sibling is not None and sibling.tag == "p":
                sibling = sibling.getprevious()
            return " ".join("".join(sibling.itertext()).split()) or sibling.get(
                "string"
            )

        partner_arch = self.env["res.partner"].get_views([(False, "form")])["views"][
            "form"
        ]["arch"]
        self.assertTrue(
            preceding_heading(partner_arch, "loyalty_recent_entry_ids").startswith(
                "Latest ledger entries"
            )
        )
        self.assertEqual(
            preceding_heading(partner_arch, "loyalty_tier_history_ids"),
            "Tier history",
        )
        program_arch = self.env["loyalty.program"].get_views([(False, "form")])[
            "views"
        ]["form"]["arch"]
        for field, heading in (
            ("crm_behaviour_ids", "Behaviour points"),
            ("crm_greeting_ids", "Greetings"),
            ("crm_campaign_ids", "Campaigns"),
        ):
            self.assertEqual(preceding_heading(program_arch, field), heading)

"""What a new admin and a salesperson see in the first hour: the customers to
save first, lost customers apart, offers that follow the alert, texts in the
reader's language, settings with units and a download that closes its
window."""

from datetime import timedelta
from unittest.mock import patch

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import BaseCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval
from odoo.tools.translate import code_translations

from ..tools import scoring, xlsx_report
from .common import TODAY, ChurnCommon

ZH_SUMMARY = "流失风险：致电 %(customer)s"
ZH_WHY = "该客户可能流失的原因："
ZH_ESCALATED = "已上报经理：已有 %(days)s 天无人处理此预警。"
ZH_BOSS = "上报的流失预警：%(customer)s"


class TestValueAtRiskTools(BaseCase):
    """The pure functions the nightly write-back fills the sort columns with."""

    def test_yearly_value_spreads_the_history_over_a_year_at_least(self):
        self.assertEqual(scoring.yearly_value(7300.0, 730), 3650.0)
        # A one-time buyer, or a few months of orders: their year is it.
        self.assertEqual(scoring.yearly_value(500.0, 0), 500.0)
        self.assertEqual(scoring.yearly_value(500.0, 90), 500.0)
        self.assertEqual(scoring.yearly_value(500.0, None), 500.0)
        # Refunds of documents the history does not hold make no debt.
        self.assertEqual(scoring.yearly_value(-92750.0, 400), 0.0)

    def test_value_at_risk_is_the_yearly_value_times_the_risk(self):
        self.assertEqual(scoring.value_at_risk(1000.0, 70, False), 700.0)
        self.assertEqual(scoring.value_at_risk(1000.0, 100, True), 0.0)
        self.assertTrue(scoring.is_lost("churned"))
        for stage in ("new", "active", "loyal", "at_risk", "dormant", "won_back"):
            self.assertFalse(scoring.is_lost(stage), stage)


@tagged("post_install", "-at_install")
class TestFirstHour(ChurnCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Both silent for 130 days (at risk), one buys four times as much; the
        # third stopped 500 days ago (Churned: lost) and scores highest.
        cls.small = cls._customer("Small at risk", cls.salesman, monthly_until=130)
        cls.big = cls._customer(
            "Big at risk", cls.salesman, monthly_until=130, amount=400.0
        )
        cls.gone = cls._customer(
            "Long gone", cls.salesman, monthly_until=500, amount=1000.0
        )
        cls.partners = cls.small | cls.big | cls.gone

    def _risks(self):
        return self.env["crm.churn.risk"].search(
            [("partner_id", "in", self.partners.ids)]
        )

    def test_savable_value_at_risk_first_and_lost_customers_apart(self):
        self._run(TODAY)
        risks = self._risks()
        by_partner = {risk.partner_id: risk for risk in risks}
        gone, big, small = (
            by_partner[self.gone],
            by_partner[self.big],
            by_partner[self.small],
        )
        self.assertTrue(gone.lost)
        self.assertEqual(gone.value_at_risk, 0.0)
        self.assertFalse(big.lost or small.lost)
        # The long-churned customer scores highest: sorting by score put him
        # on top of the list.
        self.assertGreater(gone.score, big.score)
        self.assertEqual(gone.level, "critical")
        # Eighteen monthly orders: 510 days from the first to the last.
        self.assertGreater(big.historic_clv, 0)
        self.assertEqual(big.yearly_value, scoring.yearly_value(big.historic_clv, 510))
        self.assertAlmostEqual(
            big.value_at_risk, round(big.yearly_value * big.score / 100, 2), 2
        )
        self.assertEqual(
            risks.partner_id.mapped("name"),
            ["Big at risk", "Small at risk", "Long gone"],
        )
        # Customers at Risk opens on the savable ones; Lost Customers apart.
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_churn.crm_churn_risk_action"
        )
        self.assertTrue(safe_eval(action["context"]).get("search_default_savable"))
        lost_action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_churn.crm_churn_risk_action_lost"
        )
        self.assertTrue(safe_eval(lost_action["context"]).get("search_default_lost"))
        self.assertEqual(
            self._risks().filtered_domain([("lost", "=", False)]).partner_id,
            self.big | self.small,
        )
        # The customers' own filter "High churn risk" leaves him out too.
        search = etree.fromstring(
            self.env.ref("crm_churn.res_partner_view_search").arch
        )
        [high_risk] = search.xpath("//filter[@name='churn_at_risk']")
        partners = (
            self.env["res.partner"]
            .with_company(self.company)
            .search(
                safe_eval(high_risk.get("domain")) + [("id", "in", self.partners.ids)]
            )
        )
        self.assertEqual(partners, self.big | self.small)
        # A lost customer is a win-back case: no warning alert, even critical.
        self.assertFalse(self._alerts(self.gone))
        self.assertTrue(self._alerts(self.big))
        self.assertEqual(self._alerts(self.big).value_at_risk, big.value_at_risk)
        # A quiet night rewrites none of the new columns.
        written, _risen = self.env["crm.churn.risk"]._score_partners(
            self.partners.ids, TODAY
        )
        self.assertEqual(written, 0)

    def test_levels_read_by_severity(self):
        Risk = self.env["crm.churn.risk"]
        partners = self.env["res.partner"].create(
            [{"name": f"Level {level}", "is_company": True} for level in scoring.LEVELS]
        )
        Risk.create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "score": 10 + 25 * index,
                    "level": level,
                }
                for index, (partner, level) in enumerate(
                    zip(partners, scoring.LEVELS, strict=True)
                )
            ]
        )
        domain = [("partner_id", "in", partners.ids)]
        # Raw keys sort critical, high, low, medium.
        expected = ["critical", "high", "medium", "low"]
        self.assertEqual(Risk.search(domain, order="level").mapped("level"), expected)
        groups = Risk.read_group(domain, ["score:avg"], ["level"])
        self.assertEqual([group["level"] for group in groups], expected)
        # The customer list, grouped by its mirror of the level, too.
        Risk._write_partner_mirror(
            [
                {
                    "partner_id": risk.partner_id.id,
                    "company_id": risk.company_id.id,
                    "score": risk.score,
                    "level": risk.level,
                }
                for risk in Risk.search(domain)
            ]
        )
        groups = (
            self.env["res.partner"]
            .with_company(self.company)
            .read_group(
                [("id", "in", partners.ids)], ["id:count"], ["churn_risk_level"]
            )
        )
        self.assertEqual([group["churn_risk_level"] for group in groups], expected)

    def test_alerts_kanban_puts_critical_first(self):
        Alert = self.env["crm.churn.alert"]
        customers = self.env["res.partner"].create(
            [
                {"name": name, "is_company": True, "user_id": self.salesman.id}
                for name in ("High big", "Critical small", "High small")
            ]
        )
        Alert._open_for(
            [
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "score": score,
                    "level": level,
                    "reason_data": [],
                    "value_at_risk": value,
                }
                for partner, level, score, value in zip(
                    customers,
                    ("high", "critical", "high"),
                    (70, 85, 65),
                    (5000.0, 10.0, 300.0),
                    strict=True,
                )
            ],
            TODAY,
        )
        kanban = etree.fromstring(
            self.env.ref("crm_churn.crm_churn_alert_view_kanban").arch
        )
        order = kanban.get("default_order")
        self.assertTrue(order)
        alerts = Alert.search([("partner_id", "in", customers.ids)], order=order)
        self.assertEqual(
            alerts.partner_id.mapped("name"),
            ["Critical small", "High big", "High small"],
        )
        groups = Alert.read_group(
            [("partner_id", "in", customers.ids)], ["score:avg"], ["level"]
        )
        self.assertEqual([g["level"] for g in groups], ["critical", "high"])

    def _coupon_journey(self):
        program = self.env["loyalty.program"].create(
            {
                "name": "First hour coupon",
                "program_type": "coupons",
                "trigger": "with_code",
                "applies_on": "current",
            }
        )
        return self._winback_journey(
            "Coupon", {"alert_offer_type": "coupon", "coupon_program_id": program.id}
        )

    def test_closed_alerts_offer_nothing_and_say_so(self):
        self._coupon_journey()
        self._run(TODAY, partners=self.big | self.small)
        alert = self._alerts(self.big)
        self.assertEqual(alert.offer_state, "to_approve")
        self.assertEqual(alert.offer_group, "offer")
        # The customer orders again: won back before anyone approved.
        self._orders(self.big, [0], today=TODAY + timedelta(days=3))
        self.env["crm.churn.alert"]._detect_won_back()
        self.assertEqual(alert.stage, "won_back")
        self.assertEqual(alert.offer_state, "not_sent")
        self.assertEqual(alert.offer_group, "offer")
        labels = dict(alert._fields["offer_state"]._description_selection(self.env))
        self.assertEqual(labels["not_sent"], "Not sent: alert closed first")
        with self.assertRaises(UserError):
            alert.with_user(self.salesman).action_approve_offer()
        alert.with_user(self.salesman).action_skip_offer()
        self.assertEqual(alert.offer_state, "not_sent")
        self.assertFalse(alert.coupon_id)
        # Closed as lost: the same; reopened, the offer waits again.
        other = self._alerts(self.small)
        other._set_lost(self.env.ref("crm_churn.crm_churn_reason_price"))
        self.assertEqual(other.offer_state, "not_sent")
        other.action_reopen()
        self.assertEqual(other.offer_state, "to_approve")
        # The form offers the offer buttons on open alerts only.
        form = etree.fromstring(
            self.env.ref("crm_churn.crm_churn_alert_view_form").arch
        )
        for name in ("action_approve_offer", "action_skip_offer"):
            [button] = form.xpath(f"//button[@name='{name}']")
            for stage, hidden in (
                ("new", False),
                ("in_progress", False),
                ("won_back", True),
                ("lost", True),
            ):
                self.assertEqual(
                    bool(
                        safe_eval(
                            button.get("invisible"),
                            {"offer_state": "to_approve", "stage": stage},
                        )
                    ),
                    hidden,
                    (name, stage),
                )

    def test_win_back_results_name_their_groups(self):
        labels = dict(
            self.env["crm.churn.alert"]
            ._fields["offer_group"]
            ._description_selection(self.env)
        )
        self.assertEqual(labels["offer"], "With offer")
        self.assertEqual(labels["control"], "Without offer (control group)")
        pivot = etree.fromstring(
            self.env.ref("crm_churn.crm_churn_alert_view_pivot_winback").arch
        )
        self.assertEqual(pivot.xpath("//field[@type='row']/@name"), ["offer_group"])
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_churn.crm_churn_alert_action_winback"
        )
        search = etree.fromstring(
            self.env.ref("crm_churn.crm_churn_alert_view_search").arch
        )
        for key in safe_eval(action["context"]):
            name = key.removeprefix("search_default_")
            [item] = search.xpath(f"//filter[@name='{name}']")
            self.assertIn("offer_group", item.get("context") or item.get("domain"))

    def test_export_closes_after_the_download_and_leaves_lost_out(self):
        self._run(TODAY)
        wizard = self.env["crm.churn.export"].create({"min_level": "medium"})
        captured = []

        def capture(title, subtitle, rows, labels):
            captured.extend(rows)
            return b"PK"

        with patch.object(xlsx_report, "at_risk_report", side_effect=capture):
            action = wizard.action_export()
        # The web client closes the dialog only for a new-window URL action
        # with "close" (action_service.js, _executeActURLAction).
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(action.get("close"))
        self.assertNotIn(action.get("target"), ("self", "download"))
        self.assertIn("download=true", action["url"])
        names = [row["customer"] for row in captured]
        self.assertNotIn("Long gone", names)
        self.assertLess(names.index("Big at risk"), names.index("Small at risk"))
        captured.clear()
        wizard.include_lost = True
        with patch.object(xlsx_report, "at_risk_report", side_effect=capture):
            wizard.action_export()
        self.assertIn("Long gone", [row["customer"] for row in captured])

    def test_settings_give_every_number_its_unit(self):
        view = self.env.ref("crm_churn.res_config_settings_view_form")
        arch = etree.fromstring(view.arch)
        Settings = self.env["res.config.settings"]
        numbers = [
            node
            for node in arch.iter("field")
            if Settings._fields[node.get("name")].type in ("integer", "float")
        ]
        self.assertGreaterEqual(len(numbers), 12)
        for node in numbers:
            # A unit (days, points, %...) stands in the same line.
            units = [
                "".join(span.itertext()).strip()
                for span in node.getparent().iter("span")
            ]
            self.assertTrue(any(units), node.get("name"))
        [hour] = arch.xpath("//field[@name='churn_nightly_hour']")
        self.assertTrue(hour.getparent().xpath(".//field[@name='churn_nightly_tz']"))
        self.salesman.tz = "Asia/Shanghai"
        settings = Settings.with_user(self.salesman).new({})
        self.assertEqual(settings.churn_nightly_tz, "Asia/Shanghai")


@tagged("post_install", "-at_install")
class TestReaderLanguage(ChurnCommon):
    """Texts written into records are worded in their reader's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.seller_zh = new_test_user(
            cls.env,
            login="churn_seller_zh",
            groups="sales_team.group_sale_salesman",
            name="Chinese Seller",
            lang="zh_CN",
        )
        cls.team.member_ids |= cls.seller_zh
        cls.customer = cls._customer(
            "Zh Customer", cls.seller_zh, monthly_until=130, amount=200.0
        )
        cls.partners = cls.customer

    def _zh(self):
        """A translation of our own, so that the test does not follow the
        shipped .po file: the text must go through the translation machinery
        with the reader's language."""
        return patch.dict(
            code_translations.python_translations,
            {
                ("crm_churn", "zh_CN"): {
                    "Churn risk: call %(customer)s": ZH_SUMMARY,
                    "Why this customer may leave:": ZH_WHY,
                    "Escalated to the manager: nobody worked on this alert "
                    "for %(days)s days.": ZH_ESCALATED,
                    "Escalated churn alert: %(customer)s": ZH_BOSS,
                }
            },
        )

    def test_activity_for_a_chinese_salesperson_is_in_chinese(self):
        self.assertIn(self.env.lang, (None, "en_US"), "the run writes in English")
        with self._zh():
            self._run(TODAY)
        alert = self._alerts(self.customer)
        activity = alert.activity_ids
        self.assertEqual(activity.user_id, self.seller_zh)
        self.assertEqual(activity.summary, ZH_SUMMARY % {"customer": "Zh Customer"})
        self.assertIn(ZH_WHY, str(activity.note))
        # The reasons are in the note too, worded for the reader.
        self.assertIn("<li>", str(activity.note))

    def test_escalation_in_the_readers_languages(self):
        self.leader.lang = "en_US"
        with self._zh():
            self._run(TODAY)
            alert = self._alerts(self.customer)
            self.env["crm.churn.alert"]._escalate(TODAY + timedelta(days=30))
        self.assertTrue(alert.escalated)
        days = self.company.churn_escalation_days
        note = alert.message_ids.filtered(
            lambda m: ZH_ESCALATED % {"days": days} in str(m.body)
        )
        self.assertTrue(note, "the salesperson's note is in Chinese")
        boss = alert.activity_ids.filtered(lambda a: a.user_id == self.leader)
        self.assertEqual(boss.summary, "Escalated churn alert: Zh Customer")


@tagged("post_install", "-at_install")
class TestLabels(ChurnCommon):
    """Every field the suite's churn screens show reads as words a
    salesperson would write, not as its technical name in title case
    ("Days To Win Back", "Offer Sent On")."""

    def test_no_field_shows_its_technical_name(self):
        views = self.env["ir.ui.view"].search(
            [
                ("model", "like", "crm.churn."),
                ("type", "in", ("list", "form", "kanban", "pivot", "graph")),
            ]
        )
        self.assertTrue(views)
        shown = set()
        for view in views:
            arch = etree.fromstring(view.arch)
            for node in arch.iter("field"):
                if node.get("invisible") in ("1", "True") or node.get(
                    "column_invisible"
                ) in ("1", "True"):
                    continue
                if node.get("string") or node.get("nolabel") == "1":
                    continue
                shown.add((view.model, node.get("name")))
        technical = []
        for model, name in sorted(shown):
            field = self.env[model]._fields.get(name)
            if field is None:  # a field of an embedded list (one2many)
                continue
            words = name.removesuffix("_ids").removesuffix("_id").split("_")
            if len(words) > 1 and field.string == " ".join(words).title():
                technical.append(f"{model}.{name}: {field.string}")
        self.assertFalse(technical, "\n".join(technical))
        escalated = self.env["crm.churn.alert"]._fields["escalated"]
        self.assertEqual(escalated.string, "Escalated to the manager")

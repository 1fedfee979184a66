from lxml import etree

from odoo.tests import Form, TransactionCase, freeze_time, tagged


@tagged("post_install", "-at_install")
class TestSettings(TransactionCase):
    @freeze_time("2026-06-30 10:00:00")
    def test_thresholds_and_nightly_hour(self):
        self.env.user.tz = "UTC"
        settings = Form(self.env["res.config.settings"])
        settings.lifecycle_dormant_days = 200
        settings.lifecycle_churned_days = 400
        settings.lifecycle_nightly_hour = 3
        settings.save().execute()
        self.assertEqual(self.env.company.lifecycle_dormant_days, 200)
        self.assertEqual(self.env.company.lifecycle_churned_days, 400)
        cron = self.env.ref("crm_lifecycle.ir_cron_lifecycle_nightly")
        self.assertEqual(str(cron.nextcall), "2026-07-01 03:00:00")
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("crm_lifecycle.nightly_hour"), "3"
        )

    @freeze_time("2026-06-30 10:00:00")
    def test_nightly_hour_is_read_in_the_saving_users_time_zone(self):
        """The hour is the saving user's, and the settings say in which time
        zone: another user reads the same hour with that time zone."""
        self.env.user.tz = "Asia/Shanghai"
        settings = Form(self.env["res.config.settings"])
        settings.lifecycle_nightly_hour = 3
        settings.save().execute()
        cron = self.env.ref("crm_lifecycle.ir_cron_lifecycle_nightly")
        # 03:00 in Shanghai is 19:00 UTC the day before.
        self.assertEqual(str(cron.nextcall), "2026-06-30 19:00:00")
        self.env.user.tz = "Europe/Paris"
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.lifecycle_nightly_hour, 3)
        self.assertEqual(settings.lifecycle_nightly_tz, "Asia/Shanghai")
        self.assertEqual(settings.lifecycle_user_tz, "Europe/Paris")

    def test_every_number_says_its_unit(self):
        """Each number of the Lifecycle settings has its unit written after
        its box (days, orders, times the usual gap, the hour), and the
        choices of After each order show whole (radio buttons, full width)."""
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"][
            "form"
        ]["arch"]
        [app] = etree.fromstring(arch).xpath("//app[@name='crm_lifecycle']")
        Settings = self.env["res.config.settings"]
        numbers = [
            node
            for node in app.iter("field")
            if Settings._fields[node.get("name")].type in ("integer", "float")
        ]
        self.assertEqual(
            {node.get("name") for node in numbers},
            {
                "lifecycle_new_days",
                "lifecycle_won_back_days",
                "lifecycle_loyal_min_orders",
                "lifecycle_loyal_min_days",
                "lifecycle_at_risk_factor",
                "lifecycle_dormant_days",
                "lifecycle_churned_days",
                "lifecycle_rfm_window_days",
                "lifecycle_refit_days",
                "lifecycle_nightly_hour",
                "lifecycle_nightly_workers",
            },
        )
        for node in numbers:
            units = [
                "".join(sibling.itertext()).strip()
                for sibling in node.itersiblings()
                if sibling.tag == "span"
            ]
            self.assertTrue(any(units), node.get("name"))
        [choice] = app.xpath(".//field[@name='lifecycle_refresh_on_order']")
        self.assertEqual(choice.get("widget"), "radio")
        self.assertIn("w-100", choice.get("class"))
        titles = ["Lifecycle stages", "RFM segments and customer value", "Updates"]
        blocks = [block.get("title") for block in app.iter("block")]
        self.assertEqual([title for title in blocks if title in titles], titles)

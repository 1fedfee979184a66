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

from odoo.exceptions import MissingError, UserError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestCampaignWithoutMailing(TransactionCase):
    def test_the_action_says_email_marketing_is_needed(self):
        """Without Odoo's Email Marketing, the list actions say what to
        install instead of failing."""
        if "mailing.mailing" in self.env:
            # crm_lifecycle_mass_mailing answers instead (its own tests).
            self.assertTrue(
                self.env["ir.module.module"].search_count(
                    [("name", "=", "mass_mailing"), ("state", "=", "installed")]
                )
            )
            return
        partners = self.env["res.partner"].create([{"name": "Campaign A"}])
        with self.assertRaisesRegex(UserError, "Email Marketing is not installed"):
            partners.action_lifecycle_email_campaign()
        with self.assertRaisesRegex(UserError, "SMS Marketing is not installed"):
            partners.action_lifecycle_sms_campaign()
        with self.assertRaises(MissingError):
            partners.browse().action_lifecycle_email_campaign()

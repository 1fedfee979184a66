from ast import literal_eval

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestLifecycleCampaign(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="campaign_manager",
            name="Campaign Manager",
            groups="sales_team.group_sale_manager,mass_mailing.group_mass_mailing_user",
        )
        cls.salesman = new_test_user(
            cls.env,
            login="campaign_salesman",
            name="Campaign Salesman",
            groups="sales_team.group_sale_salesman",
        )
        Partner = cls.env["res.partner"]
        cls.willing = Partner.create(
            {"name": "Campaign Willing", "email": "willing@example.com"}
        )
        cls.blacklisted = Partner.create(
            {"name": "Campaign Blacklisted", "email": "black@example.com"}
        )
        cls.no_marketing = Partner.create(
            {
                "name": "Campaign No Marketing",
                "email": "nomarketing@example.com",
                "lifecycle_no_marketing": True,
            }
        )
        cls.env["mail.blacklist"]._add("black@example.com")
        cls.customers = cls.willing | cls.blacklisted | cls.no_marketing

    def test_email_campaign_from_a_list(self):
        action = self.customers.with_user(
            self.manager
        ).action_lifecycle_email_campaign()
        mailing = self.env["mailing.mailing"].browse(action["res_id"])
        self.assertEqual(mailing.mailing_model_real, "res.partner")
        self.assertEqual(mailing.mailing_type, "mail")
        self.assertEqual(mailing.state, "draft")
        # Odoo's mailing sends it, skipping the blacklisted address; the
        # customer who asked for no marketing is not a recipient at all.
        mailing.body_html = "<p>Double points this weekend.</p>"
        mailing.action_send_mail()
        traces = self.env["mailing.trace"].search(
            [("mass_mailing_id", "=", mailing.id)]
        )
        self.assertEqual(
            set(traces.filtered(lambda t: t.trace_status != "cancel").mapped("res_id")),
            {self.willing.id},
        )
        self.assertNotIn(self.no_marketing.id, traces.mapped("res_id"))
        # Results come back in the mailing's own statistics.
        self.assertEqual(mailing.expected, len(traces))

    def test_from_the_lifecycle_list(self):
        profiles = (
            self.env["crm.lifecycle.profile"]
            .sudo()
            .create(
                [
                    {"partner_id": partner.id, "company_id": self.env.company.id}
                    for partner in self.willing | self.no_marketing
                ]
            )
        )
        action = profiles.with_user(self.manager).action_lifecycle_email_campaign()
        mailing = self.env["mailing.mailing"].browse(action["res_id"])
        self.assertEqual(
            self.env["res.partner"].search(literal_eval(mailing.mailing_domain)),
            self.willing,
        )

    def test_salespeople_cannot(self):
        with self.assertRaises(AccessError):
            self.customers.with_user(self.salesman).action_lifecycle_email_campaign()

    def test_sms_campaign_needs_sms_marketing(self):
        customers = self.customers.with_user(self.manager)
        if "sms" in dict(self.env["mailing.mailing"]._fields["mailing_type"].selection):
            action = customers.action_lifecycle_sms_campaign()
            mailing = self.env["mailing.mailing"].browse(action["res_id"])
            self.assertEqual(mailing.mailing_type, "sms")
        else:
            with self.assertRaisesRegex(UserError, "SMS Marketing is not installed"):
                customers.action_lifecycle_sms_campaign()

import json

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import TODAY, LifecycleCommon


@tagged("post_install", "-at_install")
class TestPersonalData(LifecycleCommon):
    """PIPL: a customer's data on request, exported, and erased without
    losing the purchases and figures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Wang Fang", (10, 40, 70), amounts=[120, 80, 100])
        cls.customer.write(
            {
                "email": "wang.fang@example.com",
                "phone": "+86 21 5555 0100",
                "street": "88 Nanjing Road",
                "city": "Shanghai",
            }
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Li Wei",
                "parent_id": cls.customer.id,
                "email": "li.wei@example.com",
            }
        )
        cls.manager = new_test_user(
            cls.env,
            login="pipl_manager",
            groups="sales_team.group_sale_manager",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )
        cls.salesman = new_test_user(
            cls.env,
            login="pipl_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )

    def test_export_holds_the_customer_and_the_lifecycle(self):
        with freeze_time(TODAY):
            self._recompute(self.customer)
        data = json.loads(self.customer._lifecycle_personal_data_json())
        names = {row["name"] for row in data["customer"]}
        self.assertEqual(names, {"Wang Fang", "Li Wei"})
        [profile] = data["lifecycle"]
        self.assertEqual(profile["order_count"], 3)
        self.assertEqual(profile["historic_clv"], 300.0)
        self.assertTrue(data["stage_history"])
        action = self.customer.with_user(
            self.manager
        ).action_lifecycle_export_personal_data()
        self.assertEqual(
            action["url"], f"/crm_lifecycle/personal-data/{self.customer.id}"
        )
        with self.assertRaises(AccessError):
            self.customer.with_user(
                self.salesman
            ).action_lifecycle_export_personal_data()

    def test_anonymise_erases_the_person_not_the_figures(self):
        with freeze_time(TODAY):
            self._recompute(self.customer)
        self.customer.message_post(body="Called Wang Fang at home")
        profile = self._profile(self.customer)
        value = profile.historic_clv
        with freeze_time(TODAY):
            self.customer.with_user(self.manager).action_lifecycle_anonymise()
        for person in self.customer | self.contact:
            self.assertTrue(person.name.startswith("Anonymised customer"))
            self.assertFalse(person.email)
            self.assertTrue(person.lifecycle_no_marketing)
            self.assertEqual(person.lifecycle_anonymised_on, TODAY)
        self.assertFalse(
            self.customer.phone or self.customer.street or self.customer.city
        )
        self.assertFalse(
            self.env["mail.message"].search(
                [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
            )
        )
        # The purchases and figures stay.
        self.assertEqual(profile.historic_clv, value)
        self.assertEqual(profile.order_count, 3)
        with self.assertRaises(AccessError):
            self.contact.with_user(self.salesman).action_lifecycle_anonymise()


@tagged("post_install", "-at_install")
class TestPortalPersonalData(HttpCase):
    def test_a_portal_customer_downloads_his_own_data(self):
        portal = new_test_user(
            self.env, login="pipl_portal", groups="base.group_portal", name="Zhao Lei"
        )
        new_test_user(
            self.env, login="pipl_other", groups="base.group_portal", name="Qian Min"
        )
        self.authenticate("pipl_portal", "pipl_portal")
        response = self.url_open("/my/personal-data")
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response.headers["Content-Disposition"])
        data = response.json()
        names = {row["name"] for row in data["customer"]}
        self.assertIn("Zhao Lei", names)
        self.assertNotIn("Qian Min", json.dumps(data, ensure_ascii=False))
        self.assertEqual(portal.partner_id.commercial_partner_id.name, "Zhao Lei")
        # The security page links to it.
        page = self.url_open("/my/security")
        self.assertIn('href="/my/personal-data"', page.text)

    def test_a_manager_downloads_a_customers_data_stored_nowhere(self):
        manager = new_test_user(
            self.env,
            login="pipl_http_manager",
            groups="sales_team.group_sale_manager",
            name="PIPL Manager",
        )
        new_test_user(
            self.env,
            login="pipl_http_salesman",
            groups="sales_team.group_sale_salesman",
        )
        customer = self.env["res.partner"].create({"name": "Sun Li"})
        attachments = self.env["ir.attachment"].search_count([])
        url = f"/crm_lifecycle/personal-data/{customer.id}"
        self.authenticate("pipl_http_manager", "pipl_http_manager")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response.headers["Content-Disposition"])
        self.assertEqual(
            {row["name"] for row in response.json()["customer"]}, {"Sun Li"}
        )
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments)
        self.assertTrue(manager)
        self.authenticate("pipl_http_salesman", "pipl_http_salesman")
        with mute_logger("odoo.http"):
            self.assertNotEqual(self.url_open(url).status_code, 200)

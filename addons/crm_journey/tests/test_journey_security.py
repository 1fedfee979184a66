from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import JourneyCommon


@tagged("post_install", "-at_install")
class TestJourneySecurity(JourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mine = cls._customer("My Customer", (90,), user=cls.salesman)
        cls.theirs = cls._customer("Their Customer", (90,), user=cls.other_salesman)
        cls.partners = cls.mine | cls.theirs

    def test_salespeople_see_their_customers_managers_configure(self):
        journey = self._journey(
            "days_since_order",
            [{"sequence": 10, "kind": "wait", "wait_days": 3}],
        )
        self._night()
        Participant = self.env["crm.journey.participant"].with_user(self.salesman)
        self.assertEqual(
            Participant.search([("journey_id", "=", journey.id)]).partner_id, self.mine
        )
        # Salespeople read journeys, managers configure them.
        self.assertTrue(journey.with_user(self.salesman).name)
        with self.assertRaises(AccessError):
            journey.with_user(self.salesman).write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.env["crm.journey"].with_user(self.salesman).create(
                {"name": "Mine", "trigger": "stage"}
            )
        journey.with_user(self.manager).write({"name": "Renamed"})

    def test_another_company_sees_nothing(self):
        journey = self._journey(
            "days_since_order",
            [{"sequence": 10, "kind": "wait", "wait_days": 3}],
        )
        self._night()
        other = self.env["res.company"].create({"name": "Journey Other Co"})
        manager = self.manager.copy(
            {
                "login": "journey_other_manager",
                "company_id": other.id,
                "company_ids": [(6, 0, other.ids)],
            }
        )
        self.assertFalse(
            self.env["crm.journey"].with_user(manager).search([("id", "=", journey.id)])
        )
        self.assertFalse(
            self.env["crm.journey.participant"]
            .with_user(manager)
            .search([("journey_id", "=", journey.id)])
        )

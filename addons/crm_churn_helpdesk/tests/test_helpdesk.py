from datetime import datetime, time, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.crm_churn.tests.common import TODAY, ChurnCommon


@tagged("post_install", "-at_install")
class TestHelpdeskComplaints(ChurnCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.regular = cls._customer("Ticket regular", cls.salesman, 5)
        cls.partners = cls.regular
        cls.gold = cls.env.ref("crm_loyalty.tier_gold")
        cls.gold.write(
            {
                "service_response_hours": 4,
                "service_dedicated": True,
                "service_manager_id": cls.leader.id,
            }
        )

    def _ticket(self, name, priority="1", partner=None, created=TODAY):
        with freeze_time(created):
            ticket = self.env["helpdesk.ticket"].create(
                {
                    "name": name,
                    "description": f"<p>{name}</p>",
                    "partner_id": (partner or self.regular).id,
                    "priority": priority,
                }
            )
        # The database stamps the transaction's time: the test's day instead.
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET create_date = %s WHERE id = %s",
            (datetime.combine(created, time(9)), ticket.id),
        )
        ticket.invalidate_recordset(["create_date"])
        return ticket

    def _complaints(self, day):
        self.env["crm.lifecycle.profile"]._refresh_partners(
            self.regular.ids, as_of=TODAY
        )
        [fact] = self.env["crm.churn.risk"]._gather(self.regular.ids, day)
        return fact.get("extra_signals", {}).get("complaints")

    def test_a_members_ticket_gets_the_tiers_service_level(self):
        plain = self._ticket("Where is my parcel?")
        assignee = plain.user_id
        self.assertEqual(plain.priority, "1")
        self.assertFalse(plain.loyalty_service_deadline)
        self.regular.sudo().with_company(self.company).loyalty_tier_id = self.gold
        ticket = self._ticket("Where is my parcel, again?")
        self.assertEqual(ticket.priority, "3")
        self.assertEqual(ticket.user_id, self.leader)
        self.assertEqual(ticket.loyalty_service_deadline, TODAY)
        # A slower tier with a service level: High, never lowered.
        self.gold.service_response_hours = 48
        self.assertEqual(self._ticket("Slower").priority, "2")
        self.assertEqual(self._ticket("Already urgent", priority="3").priority, "3")
        # Without a dedicated manager, the ticket keeps its assignee.
        self.gold.service_dedicated = False
        self.assertEqual(self._ticket("Keeps its assignee").user_id, assignee)

    def test_tickets_feed_the_complaints_signal_as_they_stood(self):
        ticket = self._ticket("Broken zipper", priority="2")
        self.assertIsNone(self._complaints(TODAY - timedelta(days=1)))
        strength, params = self._complaints(TODAY)
        self.assertEqual(strength, 1.0)
        self.assertEqual(
            params, {"open": 1, "recent": 1, "critical": 1, "summary": "Broken zipper"}
        )
        self._run(TODAY)
        risk = self.env["crm.churn.risk"].search([("partner_id", "=", self.regular.id)])
        self.assertIn("critical complaint still open: Broken zipper", risk.reasons)
        # Closed five days later: settled, still recent for 90 days.
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET closed_date = %s WHERE id = %s",
            (datetime.combine(TODAY + timedelta(days=5), time(9)), ticket.id),
        )
        self.assertEqual(self._complaints(TODAY + timedelta(days=3))[1]["open"], 1)
        strength, params = self._complaints(TODAY + timedelta(days=10))
        self.assertEqual((strength, params["open"], params["recent"]), (0.15, 0, 1))
        self.assertIsNone(self._complaints(TODAY + timedelta(days=91)))

    def test_a_logged_complaint_and_a_ticket_add_up(self):
        with freeze_time(TODAY):
            self.regular._churn_log_complaint("medium", "Rude cashier")
        self._ticket("Late delivery", priority="1")
        strength, params = self._complaints(TODAY)
        self.assertEqual(
            (params["open"], params["recent"], params["critical"]), (2, 2, 0)
        )
        self.assertEqual(params["summary"], "Rude cashier")
        self.assertEqual(strength, 1.0)

from datetime import date, datetime

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import (
    BaseCase,
    HttpCase,
    TransactionCase,
    freeze_time,
    new_test_user,
    tagged,
)
from odoo.tools import mute_logger

from ..tools import service_levels

MONDAY = "2025-03-03 09:00:00"
MEASURES = [
    "activity_count:sum",
    "done_count:sum",
    "in_time_rate:avg",
    "response_hours:avg",
    "target_hours:avg",
    "overdue_count:sum",
]


class TestServiceLevelTools(BaseCase):
    def test_in_time_is_the_assignees_day(self):
        # 17:00 UTC is already Wednesday 01:00 in Shanghai.
        late = datetime(2025, 3, 4, 17, 0)
        self.assertEqual(
            service_levels.local_day(late, "Asia/Shanghai"), date(2025, 3, 5)
        )
        self.assertEqual(service_levels.local_day(late, False), date(2025, 3, 4))
        self.assertEqual(service_levels.local_day(late, "Not/AZone"), date(2025, 3, 4))
        self.assertTrue(service_levels.done_in_time(date(2025, 3, 4), date(2025, 3, 4)))
        self.assertFalse(
            service_levels.done_in_time(date(2025, 3, 5), date(2025, 3, 4))
        )

    def test_response_hours(self):
        start = datetime(2025, 3, 3, 9, 0)
        self.assertEqual(
            service_levels.response_hours(start, datetime(2025, 3, 5, 10, 0)), 49.0
        )
        self.assertEqual(
            service_levels.response_hours(start, datetime(2025, 3, 3, 9, 20)), 0.33
        )
        self.assertEqual(
            service_levels.response_hours(start, datetime(2025, 3, 3, 8, 0)), 0.0
        )


class ServiceLevelCommon(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        # Monday to Friday: the weekday calendar, whatever the demo company.
        cls.company.country_id = cls.env.ref("base.us")
        cls.company_b = cls.env["res.company"].create(
            {"name": "SLA Company B", "country_id": cls.env.ref("base.us").id}
        )
        companies = {
            "company_id": cls.company.id,
            "company_ids": [(6, 0, [cls.company.id, cls.company_b.id])],
        }
        cls.sales1 = new_test_user(
            cls.env,
            "sla_sales1",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
            tz="Asia/Shanghai",
            **companies,
        )
        cls.sales2 = new_test_user(
            cls.env,
            "sla_sales2",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
            tz="UTC",
            **companies,
        )
        cls.manager = new_test_user(
            cls.env,
            "sla_manager",
            groups="sales_team.group_sale_manager",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.manager_b = new_test_user(
            cls.env,
            "sla_manager_b",
            groups="sales_team.group_sale_manager",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.portal = new_test_user(cls.env, "sla_portal", groups="base.group_portal")
        cls.gold = cls.env.ref("crm_loyalty.tier_gold")
        cls.gold.service_response_hours = 24
        cls.gold_b = cls.env["crm.loyalty.tier"].create(
            {
                "name": "SLA Gold B",
                "company_id": cls.company_b.id,
                "threshold": 0,
                "retention_threshold": 0,
                "service_response_hours": 4,
            }
        )
        Partner = cls.env["res.partner"]
        cls.member = Partner.create(
            {"name": "SLA Gold Member", "is_company": True, "user_id": cls.sales1.id}
        )
        cls.member.sudo().with_company(cls.company).loyalty_tier_id = cls.gold
        cls.member.sudo().with_company(cls.company_b).loyalty_tier_id = cls.gold_b
        cls.stranger = Partner.create(
            {"name": "SLA No Tier", "is_company": True, "user_id": cls.sales2.id}
        )
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")
        cls.kept = cls.env["mail.activity.type"].create(
            {"name": "SLA kept call", "keep_done": True}
        )
        cls.customers = cls.member | cls.stranger

    def _service_activity(
        self, partner, user, days=3, company=None, activity_type=None, record=None
    ):
        """An activity as the suite's callers make them: the service level
        gives the owner and the deadline, then the activity is created."""
        owner, deadline = partner._loyalty_service(
            company or self.company, fields.Date.today(), days, user
        )
        record = record or partner
        return self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id(record._name),
                "res_id": record.id,
                "activity_type_id": (activity_type or self.todo).id,
                "summary": "SLA call",
                "date_deadline": deadline,
                "user_id": owner.id,
            }
        )

    def _rows(self, groupby, user=None, domain=None):
        self.env.flush_all()
        Report = self.env["crm.loyalty.service.report"]
        if user:
            Report = Report.with_user(user)
        groups = Report._read_group(
            [("partner_id", "in", self.customers.ids), *(domain or [])],
            [groupby],
            MEASURES,
        )
        return {key.id: tuple(values) for key, *values in groups}


@tagged("post_install", "-at_install")
class TestServiceLevelReport(ServiceLevelCommon):
    def test_done_in_time_late_and_open_per_tier_and_salesperson(self):
        """Gold (24 hours: due the next working day): done in time, done
        late, still open past its due date; a customer without a tier is
        measured under no tier against his activity's own deadline."""
        with freeze_time(MONDAY):
            in_time = self._service_activity(
                self.member, self.sales1, activity_type=self.kept
            )
            late = self._service_activity(self.member, self.sales1)
            self._service_activity(self.member, self.sales1)
            other = self._service_activity(self.stranger, self.sales2)
        self.assertEqual(in_time.date_deadline, date(2025, 3, 4))
        self.assertEqual(other.date_deadline, date(2025, 3, 6))
        with freeze_time("2025-03-03 15:00:00"):
            # The salesperson himself, who has no right on the records.
            in_time.with_user(self.sales1).action_feedback(feedback="Called")
        with freeze_time("2025-03-05 10:00:00"):
            late.with_user(self.sales1).action_done()
        with freeze_time("2025-03-06 08:00:00"):
            other.with_user(self.sales2).action_done()
        # A kept activity is archived, the other deleted: both measured.
        self.assertFalse(in_time.active)
        self.assertFalse(late.exists())
        task = in_time.loyalty_service_task_id
        self.assertRecordValues(
            task,
            [
                {
                    "state": "done",
                    "tier_id": self.gold.id,
                    "user_id": self.sales1.id,
                    "target_hours": 24,
                    "done_in_time": True,
                    "response_hours": 6.0,
                    "date_deadline": date(2025, 3, 4),
                }
            ],
        )
        # (activities, done, in time %, response h, target h, open overdue);
        # an average over no row is False.
        self.assertEqual(
            self._rows("tier_id"),
            {
                self.gold.id: (3, 2, 50.0, 27.5, 24.0, 1),
                False: (1, 1, 100.0, 71.0, False, 0),
            },
        )
        self.assertEqual(
            self._rows("user_id"),
            {
                self.sales1.id: (3, 2, 50.0, 27.5, 24.0, 1),
                self.sales2.id: (1, 1, 100.0, 71.0, False, 0),
            },
        )
        # The list's flags, one line per activity.
        Report = self.env["crm.loyalty.service.report"]
        gold = [("partner_id", "=", self.member.id)]
        self.assertEqual(Report.search_count([*gold, ("overdue", "=", True)]), 1)
        self.assertEqual(Report.search_count([*gold, ("in_time", "=", True)]), 1)

    def test_in_time_is_the_day_of_the_assignee(self):
        """Done at 17:00 UTC on the due date: still that day in London,
        already the next in Shanghai."""
        with freeze_time(MONDAY):
            shanghai = self._service_activity(self.member, self.sales1)
            london = self._service_activity(self.member, self.sales2)
        with freeze_time("2025-03-04 17:00:00"):
            (shanghai | london).action_done()
        self.assertEqual(
            self._rows("user_id"),
            {
                self.sales1.id: (1, 1, 0.0, 32.0, 24.0, 0),
                self.sales2.id: (1, 1, 100.0, 32.0, 24.0, 0),
            },
        )

    def test_reschedule_reassign_and_cancel(self):
        """Moving the due date does not move the promise; the activity
        counts for whoever it is reassigned to; an activity deleted
        without being done is no answer, in time or late."""
        with freeze_time(MONDAY):
            moved = self._service_activity(self.member, self.sales1)
            cancelled = self._service_activity(self.member, self.sales1)
            still_open = self._service_activity(self.stranger, self.sales2)
            moved.date_deadline = date(2025, 3, 14)
            moved.user_id = self.sales2
        self.assertEqual(moved.loyalty_service_task_id.user_id, self.sales2)
        with freeze_time("2025-03-07 10:00:00"):
            moved.action_done()
            cancelled.unlink()
        rows = self._rows("user_id", domain=[("partner_id", "=", self.member.id)])
        # Done late (due on the 4th), for sales2; the cancelled one counts
        # as an activity of sales1, neither done nor overdue.
        self.assertEqual(rows[self.sales2.id], (1, 1, 0.0, 97.0, 24.0, 0))
        self.assertEqual(rows[self.sales1.id], (1, 0, False, False, 24.0, 0))
        self.assertEqual(cancelled.exists(), self.env["mail.activity"])
        self.assertEqual(still_open.loyalty_service_task_id.state, "open")

    def test_activity_on_a_document_of_the_member(self):
        """Activities on a record of the customer (a churn alert, an
        order...) are measured for the record's customer."""
        order = self.env["sale.order"].create({"partner_id": self.member.id})
        with freeze_time(MONDAY):
            self._service_activity(self.member, self.sales1, record=order)
        self.assertEqual(self._rows("tier_id")[self.gold.id][0], 1)

    def test_activities_without_a_service_level_are_not_measured(self):
        """Only the activity the service level gave its deadline to is
        measured: not an activity created by hand, not another customer's
        with the same deadline, not a second one for the same promise."""
        with freeze_time(MONDAY):
            owner, deadline = self.member._loyalty_service(
                self.company, fields.Date.today(), 3, self.sales1
            )
            Activity = self.env["mail.activity"].with_user(self.sales1)
            values = {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "activity_type_id": self.todo.id,
                "date_deadline": deadline,
                "user_id": owner.id,
            }
            by_hand = Activity.create(
                {**values, "res_id": self.member.id, "date_deadline": date(2025, 3, 7)}
            )
            other = Activity.create({**values, "res_id": self.stranger.id})
            first, second = Activity.create([{**values, "res_id": self.member.id}] * 2)
        self.assertFalse((by_hand | other | second).loyalty_service_task_id)
        self.assertTrue(first.loyalty_service_task_id)
        self.assertEqual(
            self._rows("tier_id"), {self.gold.id: (1, 0, False, False, 24.0, 1)}
        )

    def test_multi_company(self):
        """A member of two companies: each activity is measured in the
        company whose service level set it, with that company's tier;
        managers see their companies' rows only."""
        with freeze_time(MONDAY):
            self._service_activity(self.member, self.sales1)
            in_b = self._service_activity(
                self.member, self.sales1, company=self.company_b
            )
        # 4 hours: due the same working day.
        self.assertEqual(in_b.date_deadline, date(2025, 3, 3))
        self.assertEqual(in_b.loyalty_service_task_id.company_id, self.company_b)
        self.assertEqual(set(self._rows("tier_id")), {self.gold.id, self.gold_b.id})
        self.assertEqual(set(self._rows("tier_id", user=self.manager)), {self.gold.id})
        self.assertEqual(
            set(self._rows("tier_id", user=self.manager_b)), {self.gold_b.id}
        )

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_salesman_sees_his_own_rows(self):
        with freeze_time(MONDAY):
            self._service_activity(self.member, self.sales1)
            self._service_activity(self.stranger, self.sales2)
        self.assertEqual(set(self._rows("user_id", user=self.sales1)), {self.sales1.id})
        self.assertEqual(set(self._rows("user_id", user=self.sales2)), {self.sales2.id})
        self.assertEqual(
            set(self._rows("user_id", user=self.manager)),
            {self.sales1.id, self.sales2.id},
        )
        # The record behind the report is the system's; portal users see
        # nothing at all.
        with self.assertRaises(AccessError):
            self.env["crm.loyalty.service.task"].with_user(self.sales1).search([])
        with self.assertRaises(AccessError):
            self.env["crm.loyalty.service.report"].with_user(self.portal).search([])

    def test_a_client_cannot_link_an_activity_to_a_service_record(self):
        """A salesperson cannot link his own activity to somebody else's
        service level record, to close it as done in time."""
        with freeze_time(MONDAY):
            theirs = self._service_activity(self.stranger, self.sales2)
        task = theirs.loyalty_service_task_id
        Activity = self.env["mail.activity"].with_user(self.sales1)
        values = {
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_id": self.member.id,
            "activity_type_id": self.todo.id,
            "user_id": self.sales1.id,
        }
        with self.assertRaises(UserError):
            Activity.create({**values, "loyalty_service_task_id": task.id})
        with self.assertRaises(UserError):
            Activity.with_context(default_loyalty_service_task_id=task.id).create(
                values
            )
        mine = Activity.create(values)
        with self.assertRaises(UserError):
            mine.write({"loyalty_service_task_id": task.id})
        mine.action_done()
        self.assertEqual(task.state, "open")


@tagged("post_install", "-at_install")
class TestServiceLevelTour(HttpCase, ServiceLevelCommon):
    def test_service_level_report_tour(self):
        self.manager.name = "SLA Tour Manager"
        self.sales1.name = "SLA Tour Salesperson"
        with freeze_time(MONDAY):
            done = self._service_activity(self.member, self.sales1)
            self._service_activity(self.member, self.sales1)
        with freeze_time("2025-03-03 12:00:00"):
            done.action_done()
        self.start_tour("/odoo", "crm_loyalty_service_level_tour", login="sla_manager")

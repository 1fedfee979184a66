from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import TODAY, DashboardCommon, make_company


@tagged("post_install", "-at_install")
class TestKpiSecurity(DashboardCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._customer("KPI Sec", [10, 20])
        cls.snapshot = cls.Kpi._compute_companies(cls.company, TODAY)
        cls.salesman = new_test_user(
            cls.env,
            login="kpi_salesman",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.portal = new_test_user(
            cls.env, login="kpi_portal", groups="base.group_portal"
        )
        cls.other_company = make_company(cls.env, "KPI Elsewhere")
        cls.other_manager = new_test_user(
            cls.env,
            login="kpi_other_manager",
            groups="sales_team.group_sale_manager",
            company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)],
        )

    def test_managers_read_and_nobody_writes(self):
        snapshot = self.snapshot.with_user(self.manager)
        self.assertEqual(snapshot.repurchase_rate, 100.0)
        with (
            mute_logger("odoo.addons.base.models.ir_model"),
            self.assertRaises(AccessError),
        ):
            snapshot.write({"repurchase_rate": 1.0})
        with (
            mute_logger("odoo.addons.base.models.ir_model"),
            self.assertRaises(AccessError),
        ):
            self.Kpi.with_user(self.manager).create(
                {"company_id": self.company.id, "date": TODAY}
            )

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_salespeople_and_portal_read_nothing(self):
        for user in (self.salesman, self.portal):
            with self.assertRaises(AccessError):
                self.snapshot.with_user(user).read(["repurchase_rate"])
            with self.assertRaises(AccessError):
                self.Kpi.with_user(user).action_compute_now()
        dashboard = self.env.ref(
            "crm_lifecycle_dashboard.spreadsheet_dashboard_lifecycle"
        )
        Dashboard = dashboard.with_user(self.salesman)
        self.assertFalse(Dashboard.search([("id", "=", dashboard.id)]))
        self.assertTrue(
            dashboard.with_user(self.manager).search([("id", "=", dashboard.id)])
        )

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_other_company_sees_and_computes_only_its_own(self):
        Kpi = self.Kpi.with_user(self.other_manager).with_company(self.other_company)
        self.assertFalse(Kpi.search([("id", "=", self.snapshot.id)]))
        with self.assertRaises(AccessError):
            self.snapshot.with_user(self.other_manager).read(["repurchase_rate"])
        Kpi.action_compute_now()
        mine = Kpi.search([])
        self.assertEqual(mine.company_id, self.other_company)
        self.assertEqual(mine.buyer_count, 0)
        # The first company's snapshot is untouched and still its latest.
        self.assertTrue(self.snapshot.is_latest)
        self.assertEqual(self.snapshot.buyer_count, 1)

from ast import literal_eval

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRetailChinaPresetTour(HttpCase):
    def test_preset_tour(self):
        """Settings > Loyalty > Retail China, in the browser: a sales manager
        (who also administers the settings, to reach them) applies the
        preset with Friday as the member day; the wizard says what it did
        and Member Tiers show the new tiers."""
        manager = new_test_user(
            self.env,
            login="preset_tour_manager",
            name="Preset Tour Manager",
            groups="base.group_system,sales_team.group_sale_manager",
        )
        company = self.env.company
        self.start_tour("/odoo", "crm_loyalty_preset_tour", login=manager.login)
        wizard = self.env["crm.retail.china.preset"].search(
            [("create_uid", "=", manager.id)]
        )
        self.assertEqual(len(wizard), 1)
        self.assertEqual(wizard.member_weekday, "4")
        self.assertIn("every Friday", wizard.result)
        # The program the preset configured (found as the preset finds it).
        program = wizard._program(company)
        self.assertEqual(
            (
                program.crm_member_day_kind,
                program.crm_member_weekday,
                program.crm_member_day_factor,
                program.crm_birthday_factor,
            ),
            ("weekday", "4", 2.0, 3.0),
        )
        self.assertEqual(company.loyalty_tier_basis, "spent")
        self.assertEqual(company.loyalty_tier_window, "calendar")
        tiers = self.env["crm.loyalty.tier"].search(
            [("company_id", "=", company.id), ("stars", "in", ("1", "2", "3"))],
            order="threshold",
        )
        self.assertEqual(
            [(t.stars, t.threshold, t.retention_threshold) for t in tiers],
            [("1", 0.0, 0.0), ("2", 3000.0, 3000.0), ("3", 10000.0, 10000.0)],
        )
        self.assertEqual(
            [t.pricelist_id.item_ids.percent_price for t in tiers[1:]], [10.0, 20.0]
        )


@tagged("post_install", "-at_install")
class TestMembersToAssignTour(HttpCase):
    def test_members_to_assign_tour(self):
        """Loyalty > Members to Assign, in the browser: a sales manager gives
        an account manager to a member of a tier that promises one; the
        member leaves the list, the one still waiting stays."""
        manager = new_test_user(
            self.env,
            login="assign_tour_manager",
            name="Assign Tour Manager",
            groups="sales_team.group_sale_manager",
        )
        account_manager = new_test_user(
            self.env,
            login="assign_tour_account_manager",
            name="Tour Account Manager",
            groups="sales_team.group_sale_salesman",
        )
        tier = self.env["crm.loyalty.tier"].create(
            {
                "name": "Tour Diamond",
                "stars": "4",
                "threshold": 900000,
                "retention_threshold": 900000,
                "service_dedicated": True,
            }
        )
        to_assign, waiting = self.env["res.partner"].create(
            [
                {"name": "Tour Member To Assign", "is_company": True},
                {"name": "Tour Member Waiting", "is_company": True},
            ]
        )
        (to_assign | waiting).loyalty_tier_id = tier
        Partner = self.env["res.partner"].with_user(manager)
        # The screen's own domain.
        to_list = literal_eval(
            self.env.ref("crm_loyalty.crm_loyalty_members_to_assign_action").domain
        )
        members = to_assign | waiting
        self.assertEqual(Partner.search(to_list + [("id", "in", members.ids)]), members)
        self.start_tour(
            "/odoo", "crm_loyalty_members_to_assign_tour", login=manager.login
        )
        self.assertEqual(to_assign.loyalty_account_manager_id, account_manager)
        self.assertFalse(waiting.loyalty_account_manager_id)
        self.assertEqual(Partner.search(to_list + [("id", "in", members.ids)]), waiting)

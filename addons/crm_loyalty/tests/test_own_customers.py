from odoo.tests import new_test_user, tagged

from .common import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestOwnCustomers(LoyaltyLedgerCommon):
    """The ledger follows the sales rights: a salesman restricted to his own
    documents sees the entries, lots and tier history of his own customers
    (and of customers no one is assigned to), an "all documents" salesman
    everyone's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_salesman = new_test_user(
            cls.env, "loy_own_docs", groups="sales_team.group_sale_salesman"
        )
        cls.all_salesman = new_test_user(
            cls.env, "loy_all_docs", groups="sales_team.group_sale_salesman_all_leads"
        )
        cls.mine = cls.env["res.partner"].create(
            {"name": "My member", "user_id": cls.own_salesman.id}
        )
        cls.theirs = cls.env["res.partner"].create(
            {"name": "Their member", "user_id": cls.all_salesman.id}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Their member's buyer", "parent_id": cls.theirs.id}
        )
        for partner in (cls.mine, cls.theirs, cls.contact, cls.partner):
            order = cls._order(200.0, partner=partner)
            order.action_confirm()
        cls.members = cls.mine | cls.theirs | cls.contact | cls.partner

    def _visible(self, user, model):
        return (
            self.env[model]
            .with_user(user)
            .search([("partner_id", "in", self.members.ids)])
            .partner_id
        )

    def test_own_documents_salesman_sees_his_members_only(self):
        for model in ("crm.loyalty.entry", "crm.loyalty.lot"):
            with self.subTest(model=model):
                everyone = self._visible(self.all_salesman, model)
                self.assertEqual(everyone, self.members)
                self.assertEqual(
                    self._visible(self.own_salesman, model), self.mine | self.partner
                )
        allocations = self.env["crm.loyalty.allocation"].with_user(self.own_salesman)
        self.assertNotIn(
            self.theirs,
            allocations.search([]).entry_id.partner_id.commercial_partner_id,
        )

    def test_loyalty_tab_of_another_salesman_customer_is_empty(self):
        theirs = self.theirs.with_user(self.own_salesman)
        self.assertFalse(theirs.loyalty_recent_entry_ids)
        self.assertTrue(self.mine.with_user(self.own_salesman).loyalty_recent_entry_ids)
        self.assertTrue(
            self.theirs.with_user(self.all_salesman).loyalty_recent_entry_ids
        )

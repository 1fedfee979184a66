from datetime import timedelta

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, freeze_time, tagged

from .common import TODAY, LifecycleCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestStages(LifecycleCommon):
    def test_stage_rules(self):
        expectations = {
            "prospect": self._customer("Quote only", [10], state="draft"),
            "new": self._customer("First order", [20]),
            "active": self._customer("Repeat", [140, 110, 80, 50, 20]),
            "loyal": self._customer("Regular", [400, 330, 260, 190, 120, 50, 20]),
            "at_risk": self._customer("Overdue", [200, 180, 160, 140, 120, 100]),
            "dormant": self._customer("Silent", [400, 300, 200]),
            "churned": self._customer("Gone", [600, 500, 400]),
            "won_back": self._customer("Returned", [700, 650, 30]),
        }
        self._recompute()
        for stage, partner in expectations.items():
            self.assertEqual(partner.lifecycle_stage, stage, partner.name)
            self.assertEqual(self._profile(partner).stage, stage, partner.name)

    def test_one_time_buyer_becomes_at_risk_after_new_window(self):
        partner = self._customer("One-off", [150])
        self._recompute()
        self.assertEqual(partner.lifecycle_stage, "at_risk")
        self.company.lifecycle_at_risk_factor = 2.0
        self._recompute()
        self.assertEqual(partner.lifecycle_stage, "new")

    def test_stages_move_both_ways_with_history(self):
        partner = self._customer("Mover", [300, 270, 240, 210])
        with freeze_time(TODAY - timedelta(days=200)):
            self.Profile._refresh_partners(partner.ids)
        self.assertEqual(partner.lifecycle_stage, "active")
        self._recompute(partner)
        self.assertEqual(partner.lifecycle_stage, "dormant")
        self._order(partner, TODAY)
        self._recompute(partner)
        self.assertEqual(partner.lifecycle_stage, "won_back")
        stays = self.env["crm.lifecycle.stage.history"].search(
            [("partner_id", "=", partner.id)], order="date_start, id"
        )
        self.assertEqual(stays.mapped("stage"), ["active", "dormant", "won_back"])
        self.assertEqual(stays.mapped("previous_stage"), [False, "active", "dormant"])
        self.assertEqual(stays[0].date_end, TODAY)
        self.assertEqual(stays[0].duration_days, 200)
        self.assertFalse(stays[-1].date_end)

    def test_a_move_closes_only_its_own_company_stay(self):
        """Stays are closed by customer and company: a move in one company
        leaves the customer's stay in another company open."""
        History = self.env["crm.lifecycle.stage.history"]
        partner = self._customer("Two companies", [10])
        other = self.env["res.company"].create({"name": "Second stays company"})
        neighbour = self._customer("Neighbour", [10])
        start = TODAY - timedelta(days=30)
        History._record_moves(
            [
                (partner.id, self.company.id, False, "new"),
                (partner.id, other.id, False, "new"),
                (neighbour.id, self.company.id, False, "new"),
            ],
            start,
        )
        History._record_moves([(partner.id, self.company.id, "new", "active")], TODAY)

        def stays(customer, company):
            return History.search(
                [("partner_id", "=", customer.id), ("company_id", "=", company.id)],
                order="date_start, id",
            )

        closed, opened = stays(partner, self.company)
        self.assertEqual((closed.stage, closed.date_end), ("new", TODAY))
        self.assertEqual(closed.duration_days, 30)
        self.assertEqual((opened.stage, opened.date_end), ("active", False))
        self.assertFalse(stays(partner, other).date_end)
        self.assertFalse(stays(neighbour, self.company).date_end)

    def test_confirmation_and_cancellation_refresh_the_customer(self):
        # At once where the company asks for it; in the background (the
        # default) in test_refresh_queue.
        self.company.lifecycle_refresh_on_order = "confirm"
        partner = self._customer("Live", [])
        other = self._customer("Bystander", [40, 10])
        order = self._order(partner, TODAY, state="draft")
        order.action_confirm()
        self.assertEqual(partner.lifecycle_stage, "new")
        self.assertEqual(self._profile(partner).order_count, 1)
        self.assertFalse(self._profile(other), "no work on other customers")
        order._action_cancel()
        self.assertEqual(partner.lifecycle_stage, "prospect")
        self.assertEqual(self._profile(partner).order_count, 0)

    def test_contacts_count_with_their_company(self):
        company = self._customer("Holding", [50])
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": company.id}
        )
        self._order(contact, TODAY - timedelta(days=10))
        self._recompute(company)
        profile = self._profile(company)
        self.assertEqual(profile.order_count, 2)
        self.assertFalse(self._profile(contact))
        self.assertEqual(contact.lifecycle_profile_id, profile)

    def test_credit_notes_reduce_historic_value(self):
        self.env["account.chart.template"].try_loading(
            "generic_coa", company=self.company, install_demo=False
        )
        partner = self._customer("Refunded", [30], [500.0])
        self._recompute(partner)
        self.assertAlmostEqual(self._profile(partner).historic_clv, 500.0)
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": partner.id,
                "invoice_date": TODAY,
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Refund",
                            "quantity": 1,
                            "price_unit": 200.0,
                            "tax_ids": [(5, 0, 0)],
                        },
                    )
                ],
            }
        )
        refund.action_post()
        self._recompute(partner)
        self.assertAlmostEqual(self._profile(partner).historic_clv, 300.0)

    def test_facts_count_days_of_purchase_only(self):
        """Gaps, first purchase and repeat revenue run over the days with a
        confirmed order: a day with only a cancelled order or a quotation
        is neither a purchase nor a return."""
        partner = self._customer("Gappy", [300, 10], amounts=[100.0, 70.0])
        self._order(partner, TODAY - timedelta(days=350), 500.0, state="cancel")
        self._order(partner, TODAY - timedelta(days=150), 40.0, state="draft")
        self._order(partner, TODAY - timedelta(days=10), 25.0, state="cancel")
        [fact] = self.Profile._fetch_facts(TODAY, partner.ids)
        self.assertEqual(fact["order_count"], 2)
        self.assertEqual(fact["purchase_days"], 2)
        self.assertEqual(fact["first_day"], TODAY - timedelta(days=300))
        self.assertEqual(fact["last_day"], TODAY - timedelta(days=10))
        # 290 days between the two purchases: a return after dormancy
        self.assertEqual(fact["return_day"], TODAY - timedelta(days=10))
        self.assertEqual(fact["revenue"], 170.0)
        self.assertEqual(fact["repeat_revenue"], 70.0)

    def test_orders_of_an_archived_company_count_as_none(self):
        other = self.env["res.company"].create({"name": "Archived Lifecycle Co"})
        self.env.user.company_ids |= other
        partner = self._customer("Elsewhere", [30, 20], company=other)
        other.active = False
        [fact] = self.Profile._fetch_facts(TODAY, partner.ids)
        self.assertEqual(fact["company_id"], other.id)
        self.assertEqual((fact["order_count"], fact["purchase_days"]), (0, 0))
        self.assertFalse(fact["last_day"])
        self.assertEqual(fact["revenue"], 0.0)

    def test_days_since_last_order_count_from_today(self):
        """A churned customer's profile is left unwritten night after night
        (nothing about them changes): the days since their last order must
        still grow, and searching by them must follow."""
        gone = self._customer("Long gone", [600, 500, 400])
        recent = self._customer("Recent", [20])
        quote = self._customer("Quote", [5], state="draft")
        self._recompute()
        self.assertEqual(self._profile(gone).days_since_last_order, 400)
        with freeze_time(TODAY + timedelta(days=30)):
            self.Profile.invalidate_model()
            profile = self._profile(gone)
            self.assertEqual(profile.days_since_last_order, 430)
            self.assertFalse(self._profile(quote).days_since_last_order)
            customers = gone | recent | quote
            domain = [("partner_id", "in", customers.ids)]
            for condition, expected in (
                ((">", 400), gone),
                ((">=", 430), gone),
                (("<", 430), recent),
                (("<=", 50), recent),
                (("=", 50), recent),
                (("!=", 50), gone | quote),
                (("=", False), quote),
                (("!=", False), gone | recent),
                (("in", [50, 430]), gone | recent),
                (("not in", [50]), gone | quote),
            ):
                found = self.Profile.search(
                    domain + [("days_since_last_order", *condition)]
                )
                self.assertEqual(found.partner_id, expected, condition)
            with self.assertRaises(UserError):
                self.Profile.search(domain + [("days_since_last_order", ">", "soon")])

    def test_pin_stage_with_reason(self):
        partner = self._customer("Key account", [300, 200])
        self._recompute()
        self.assertEqual(partner.lifecycle_stage, "dormant")
        action = partner.action_lifecycle_pin()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.stage = "loyal"
        wizard.reason = "Framework contract signed"
        wizard.pin_until = TODAY + timedelta(days=10)
        wizard.save().action_pin()
        profile = self._profile(partner)
        self.assertTrue(profile.is_pinned)
        self.assertEqual(partner.lifecycle_stage, "loyal")
        stay = partner.lifecycle_stage_history_ids.filtered(lambda s: not s.date_end)
        self.assertTrue(stay.is_manual)
        self.assertEqual(stay.changed_by_id, self.env.user)
        self.assertEqual(stay.reason, "Framework contract signed")
        self.assertIn("Framework contract signed", partner.message_ids[0].body)
        # The nightly run respects the pin until its end date...
        self._recompute()
        self.assertEqual(partner.lifecycle_stage, "loyal")
        self.assertEqual(profile.computed_stage, "dormant")
        # ... and the rules take over again afterwards.
        with freeze_time(TODAY + timedelta(days=11)):
            self.Profile._refresh_partners(partner.ids)
        self.assertEqual(partner.lifecycle_stage, "dormant")
        self.assertFalse(profile.is_pinned)

    def test_unpin(self):
        partner = self._customer("Pinned", [20])
        self._recompute(partner)
        self._profile(partner)._pin("loyal", "VIP")
        self.assertEqual(partner.lifecycle_stage, "loyal")
        partner.action_lifecycle_unpin()
        self.assertEqual(partner.lifecycle_stage, "new")
        self.assertIn("unpinned", partner.message_ids[0].body)

    def test_pin_needs_a_lifecycle_and_a_future_date(self):
        partner = self._customer("Nobody", [])
        wizard = self.env["crm.lifecycle.pin.wizard"].create(
            {"partner_id": partner.id, "stage": "loyal", "reason": "x"}
        )
        with self.assertRaises(UserError):
            wizard.action_pin()
        with self.assertRaises(ValidationError):
            self.env["crm.lifecycle.pin.wizard"].create(
                {
                    "partner_id": partner.id,
                    "stage": "loyal",
                    "reason": "x",
                    "pin_until": TODAY - timedelta(days=1),
                }
            )

    def test_inconsistent_thresholds_are_refused(self):
        with self.assertRaises(ValidationError):
            self.company.lifecycle_dormant_days = 400  # above churned (365)

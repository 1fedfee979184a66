from datetime import timedelta
from unittest.mock import patch

import numpy as np
from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import SQL
from odoo.tools.translate import code_translations

from ..models import crm_purchase_model
from ..tools import clv
from .common import TODAY, LifecycleCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPurchaseModel(LifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 160 customers drawn from a known BG/NBD story, in days.
        x, t_x, _big_t = clv.simulate_bgnbd(0.9, 40.0, 0.6, 2.5, 300.0, 160, seed=3)
        rng = np.random.default_rng(3)
        start = TODAY - timedelta(days=360)
        cls.customers = cls.env["res.partner"]
        for i in range(160):
            first = start + timedelta(days=int(rng.integers(0, 60)))
            count = int(x[i])
            repeats = sorted(rng.uniform(0, t_x[i], count)) if count else []
            if count:
                repeats[-1] = t_x[i]
            days = [first] + [first + timedelta(days=int(d)) for d in repeats]
            spend = float(rng.gamma(4.0, 25.0))
            partner = cls.env["res.partner"].create(
                {"name": f"Sim {i}", "is_company": True}
            )
            for day in days:
                cls._order(partner, min(day, TODAY - timedelta(days=1)), spend)
            cls.customers |= partner

    def test_fit_is_a_record_with_parameters_and_holdout(self):
        model = self.env["crm.purchase.model"].create(
            {"calibration_end": TODAY - timedelta(days=60), "time_unit": "week"}
        )
        model.action_fit()
        self.assertEqual(model.state, "fitted", model.message_text)
        for name in ("r", "alpha", "a", "b", "p", "q", "gamma"):
            self.assertGreater(model[name], 0, name)
        self.assertGreater(model.customer_count, 100)
        self.assertLess(model.log_likelihood, 0)
        self.assertEqual(model.holdout_days, 60)
        self.assertGreater(model.holdout_actual, 0)
        self.assertGreater(model.holdout_predicted, 0)

    def test_large_companies_are_fitted_on_a_stable_random_sample(self):
        """Above FIT_SAMPLE customers a fit reads a random sample of about
        that many (the same customers every time), and says so; a company
        holding few of the database's customers is read whole."""
        Model = self.env["crm.purchase.model"]
        full = Model.create({"calibration_end": TODAY})
        full_inputs = full._fit_inputs()
        everyone = set(full_inputs[0].tolist())
        by_customer = {
            partner_id: [column[i] for column in full_inputs[1:]]
            for i, partner_id in enumerate(full_inputs[0].tolist())
        }
        small = self.env["res.company"].create({"name": "Small Co"})
        self.env.user.company_ids |= small
        for i in range(20):
            partner = self.env["res.partner"].create({"name": f"Small {i}"})
            self._order(partner, TODAY - timedelta(days=5 + i), company=small)
        with patch.object(crm_purchase_model, "FIT_SAMPLE", 60):
            model = Model.create({"calibration_end": TODAY})
            share, inputs = model._sampled_inputs()
            sample = inputs[0].tolist()
            self.assertLess(share, crm_purchase_model.SAMPLE_BY_CUSTOMER_BELOW)
            self.assertTrue(set(sample) < everyone)
            self.assertTrue(20 <= len(sample) <= 120, len(sample))
            self.assertEqual(model._fit_inputs(share=share)[0].tolist(), sample)
            # Exactly the customers whose hashed id falls under the share,
            # each with the inputs the whole fit reads for them, whether the
            # sample is read customer by customer (a small share) or by
            # filtering every order (a large one).
            for fraction in (share, 0.5, 0.75):
                hashed = {
                    row[0]
                    for row in self.env.execute_query(
                        SQL(
                            "SELECT id FROM res_partner WHERE (hashint4(id) & %s) < %s",
                            crm_purchase_model.SAMPLE_SCALE - 1,
                            round(fraction * crm_purchase_model.SAMPLE_SCALE),
                        )
                    )
                }
                partial = model._fit_inputs(share=fraction)
                self.assertEqual(partial[0].tolist(), sorted(everyone & hashed))
                for i, partner_id in enumerate(partial[0].tolist()):
                    self.assertEqual(
                        [column[i] for column in partial[1:]], by_customer[partner_id]
                    )
            model.action_fit()
            self.assertEqual(model.customer_count, len(sample))
            self.assertIn("random sample", model.message_text)
            few = Model.create({"company_id": small.id, "calibration_end": TODAY})
            few.action_fit()
            self.assertEqual(few.customer_count, 20)
            self.assertNotIn("random sample", few.message_text or "")

    def test_calibration_end_hides_later_orders(self):
        early = self.env["crm.purchase.model"].create(
            {"calibration_end": TODAY - timedelta(days=330)}
        )
        late = self.env["crm.purchase.model"].create({"calibration_end": TODAY})
        self.assertLess(len(early._fit_inputs()[0]), len(late._fit_inputs()[0]))

    def test_predictions_use_the_latest_fit(self):
        self._recompute()
        profile = self._profile(self.customers[0])
        self.assertEqual(profile.prediction_method, "model")
        self.assertTrue(profile.purchase_model_id)
        self.assertTrue(0 <= profile.prob_alive <= 1)
        self.assertGreaterEqual(
            profile.expected_purchases_365, profile.expected_purchases_90
        )
        self.assertGreaterEqual(profile.predicted_clv_12m, 0)

    def test_too_little_data_falls_back_to_the_heuristic(self):
        other = self.env["res.company"].create({"name": "Tiny Co"})
        self.env.user.company_ids |= other
        partner = self.env["res.partner"].create({"name": "Lonely", "is_company": True})
        self._order(partner, TODAY - timedelta(days=10), company=other)
        model = self.env["crm.purchase.model"].create({"company_id": other.id})
        model.action_fit()
        self.assertEqual(model.state, "heuristic")
        self.assertIn("own rhythm", model.message_text)
        self.Profile._refresh_partners(partner.ids)
        profile = self._profile(partner, other)
        self.assertEqual(profile.prediction_method, "heuristic")

    def test_confirmations_score_with_the_newest_fit_and_cuts(self):
        """Fits and cut points are cached per registry for the order
        confirmations: a new fit, a deleted one and a new run's cut points
        are used from the next refresh on."""
        Model = self.env["crm.purchase.model"]
        company = self.env.company
        partner = self.customers[0]
        self.Profile._refresh_partners(partner.ids)  # fill the caches
        first = Model.create({"calibration_end": TODAY - timedelta(days=30)})
        first.action_fit()
        self.Profile._refresh_partners(partner.ids)
        self.assertEqual(self._profile(partner).purchase_model_id, first)
        second = Model.create({"calibration_end": TODAY})
        second.action_fit()
        self.assertEqual(Model._latest_fits([company.id])[company.id].id, second.id)
        self.Profile._refresh_partners(partner.ids)
        self.assertEqual(self._profile(partner).purchase_model_id, second)
        with self.assertRaises(TypeError):
            Model._latest_fits([company.id])[company.id].prediction["r"] = 0
        self.env["crm.lifecycle.run"].create({"as_of": TODAY})
        cuts = self.env["crm.lifecycle.run"].search([], limit=1).rfm_cuts
        self.assertTrue(cuts)
        self.assertEqual(self.env["crm.lifecycle.run"]._latest_cuts(), cuts)
        self.env["crm.lifecycle.run"].search([]).unlink()
        self.assertEqual(self.env["crm.lifecycle.run"]._latest_cuts(), {})

    def test_a_fit_says_in_words_how_well_it_predicted(self):
        """A fit on the orders up to 60 days ago was checked on the 60 days
        since: predicted and actual repeat orders, in words."""
        model = self.env["crm.purchase.model"].create(
            {"calibration_end": TODAY - timedelta(days=60)}
        )
        model.action_fit()
        self.assertIn(str(model.customer_count), model.summary)
        predicted = round(model.holdout_predicted)
        actual = model.holdout_actual
        self.assertTrue(actual)
        self.assertIn("Checked on the 60 days after", model.holdout_summary)
        self.assertIn(f"it predicted {predicted} repeat orders", model.holdout_summary)
        self.assertIn(f"customers placed {actual}", model.holdout_summary)
        percent = abs(round(100.0 * (model.holdout_predicted - actual) / actual))
        self.assertIn(f"{percent}%", model.holdout_result)

    def test_a_fit_of_today_is_not_checked_and_says_so(self):
        """A fit on every order up to today has nothing to be checked on:
        its error of zero is a missing value, not a perfect score, and the
        screens say "Not checked" instead of showing it."""
        model = self.env["crm.purchase.model"].create({"calibration_end": TODAY})
        model.action_fit()
        self.assertEqual(model.state, "fitted")
        self.assertEqual((model.holdout_days, model.holdout_error), (0, 0.0))
        self.assertEqual(model.holdout_result, "Not checked")
        self.assertIn("Not checked: it learned from every order", model.holdout_summary)
        views = model.get_views([(False, "list"), (False, "form")])["views"]
        for view_type in ("list", "form"):
            arch = etree.fromstring(views[view_type]["arch"])
            self.assertEqual(arch.get("create"), "0", view_type)
            [error] = arch.xpath("//field[@name='holdout_error']")
            self.assertIn("not holdout_actual", error.get("invisible"), view_type)
        self.assertTrue(
            arch.xpath("//page[@name='technical']//field[@name='log_likelihood']")
        )
        self.assertFalse(arch.xpath("//sheet/group//field[@name='log_likelihood']"))

    def test_check_on_past_orders(self):
        """The form's check fits a model on the orders up to 90 days ago and
        compares; the fit of today keeps making the predictions."""
        Model = self.env["crm.purchase.model"]
        today = Model.create({"calibration_end": TODAY})
        today.action_fit()
        action = self.env.ref("crm_lifecycle.crm_purchase_model_action_check")
        result = action.with_context(
            active_model=Model._name, active_id=today.id, active_ids=today.ids
        ).run()
        check = Model.browse(result["res_id"])
        self.assertEqual(check.calibration_end, TODAY - timedelta(days=90))
        self.assertTrue(check.is_check)
        self.assertEqual(check.holdout_days, 90)
        self.assertIn("Checked on the 90 days after", check.holdout_summary)
        self.assertEqual(Model._latest([self.company.id])[self.company.id], today)
        salesman = new_test_user(
            self.env,
            "lc_check",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
        )
        with self.assertRaises(AccessError):
            today.with_user(salesman)._check_predictions()

    def test_notes_are_worded_in_the_readers_language(self):
        """The nightly run writes a fit's notes as codes and values; each
        reader reads them in their own language."""
        other = self.env["res.company"].create({"name": "Empty Co"})
        self.env.user.company_ids |= other
        model = self.env["crm.purchase.model"].create({"company_id": other.id})
        model.action_fit()
        self.assertEqual(model.state, "heuristic")
        self.assertFalse(model.message)
        self.assertEqual(model.message_data, [["no_orders", {"date": str(TODAY)}]])
        self.assertIn("No confirmed order up to 06/30/2026", model.message_text)
        self.env["res.lang"]._activate_lang("zh_CN")
        source = (
            "No confirmed order up to %(date)s: predictions follow each "
            "customer's own rhythm (orders so far, days since the last) "
            "instead of a model."
        )
        translations = {("crm_lifecycle", "zh_CN"): {source: "截至%(date)s没有订单"}}
        with patch.dict(code_translations.python_translations, translations):
            chinese = model.with_context(lang="zh_CN")
            chinese.invalidate_recordset(["message_text"])
            self.assertTrue(chinese.message_text.startswith("截至"))
            self.assertIn("2026", chinese.message_text)
        # Notes written before the codes keep reading as written.
        model.write({"message_data": False, "message": "Old note"})
        self.assertEqual(model.message_text, "Old note")

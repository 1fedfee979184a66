import gc
from datetime import timedelta
from decimal import Decimal
from unittest.mock import patch

from odoo import Command
from odoo.tests import freeze_time, tagged
from odoo.tools import SQL

from ..models import crm_lifecycle_batch_run, crm_lifecycle_run
from ..tools import profile as profile_tools
from .common import TODAY, LifecycleCommon

PROFILE_FIELDS = [
    "stage",
    "order_count",
    "rfm_r",
    "rfm_f",
    "rfm_m",
    "rfm_segment",
    "value_class",
    "historic_clv",
    "prob_alive",
]


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestNightlyRun(LifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"]
        for i in range(12):
            days = [400 - 37 * k for k in range(i % 6 + 1)]
            cls.customers |= cls._customer(
                f"Batch customer {i}",
                [d - 3 * i for d in days],
                [50.0 + 20 * i] * len(days),
            )

    def _snapshot(self):
        profiles = self.Profile.search([("partner_id", "in", self.customers.ids)])
        return {p.partner_id.id: tuple(p[f] for f in PROFILE_FIELDS) for p in profiles}

    def test_resume_after_interruption_gives_the_same_result(self):
        self._recompute()
        reference = self._snapshot()
        self.Profile.search([]).unlink()
        self.env["crm.lifecycle.stage.history"].search([]).unlink()
        # Day two: the cron processes one small batch, then the worker dies.
        # (In production every batch is committed by ir.cron.)
        self.Run.search([]).write({"state": "done", "as_of": TODAY.replace(day=1)})
        run = self.Run.create({"as_of": TODAY})
        run._process_batch(batch_size=5)
        self.assertEqual(run.state, "running")
        first_cursor = run.cursor
        self.assertTrue(first_cursor)
        self.assertEqual(run.customers_done, 5)
        # The next cron call picks the same run up after the cursor.
        while run.state == "running":
            self.Run._cron_nightly(batch_size=5)
        self.assertEqual(self.Run.search_count([("as_of", "=", TODAY)]), 1)
        self.assertGreater(run.batch_count, 2)
        self.assertEqual(self._snapshot(), reference)
        # One open stay per customer: no batch was applied twice.
        History = self.env["crm.lifecycle.stage.history"]
        for customer in self.customers:
            self.assertEqual(
                History.search_count(
                    [("partner_id", "=", customer.id), ("date_end", "=", False)]
                ),
                1,
            )

    def test_second_run_the_same_day_does_nothing(self):
        calls = 0
        while not self.Run._done_today():  # refits, preparation, batches
            self.Run._cron_nightly()
            calls += 1
            self.assertLess(calls, 50)
        runs = self.Run.search([])
        self.Run._cron_nightly()
        self.assertEqual(self.Run.search([]), runs)

    def test_rewrites_only_what_changed(self):
        run = self._recompute()
        cuts = run.rfm_cuts
        refresh = self.Profile._refresh_partners
        self.Profile.search([("partner_id", "in", self.customers.ids)]).unlink()
        ids = self.customers.ids
        self.assertEqual(refresh(ids, cuts=cuts, fits={}), len(self.customers))
        self.assertEqual(refresh(ids, cuts=cuts, fits={}), 0)
        self._order(self.customers[0], TODAY)
        self.assertEqual(refresh(ids, cuts=cuts, fits={}), 1)

    def test_population_cuts_streamed_in_slices(self):
        """The cut points come from a lighter query over the analysis window,
        streamed in slices: each customer's window figures must be those of
        the full facts (credit notes, cancellations, quotations and orders
        before the window included), and slices of 5 customers must give the
        cut points of the whole population."""
        self.env["account.chart.template"].try_loading(
            "generic_coa", company=self.company, install_demo=False
        )
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.customers[5].id,
                "invoice_date": TODAY - timedelta(days=3),
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Refund", "quantity": 1, "price_unit": 70.0}
                    )
                ],
            }
        )
        refund.action_post()
        self._order(self.customers[4], TODAY - timedelta(days=2), state="cancel")
        self._order(self.customers[3], TODAY - timedelta(days=1), state="draft")
        self._order(self.customers[2], TODAY - timedelta(days=900))
        self._recompute()
        full = {
            (fact["partner_id"], fact["company_id"]): tuple(
                fact[key] for key in self.Profile._WINDOW_KEYS
            )
            for fact in self.Profile._fetch_facts(TODAY)
            if fact["window_orders"]
        }
        window = {
            row[:2]: row
            for row in self.env.execute_query(self.Profile._window_facts_query(TODAY))
        }
        self.assertEqual(window.keys(), full.keys())
        for key, row in window.items():
            self.assertEqual(
                [float(v) if isinstance(v, Decimal) else v for v in row],
                list(full[key]),
            )
        self.assertEqual(window[(self.customers[5].id, self.company.id)][5], -70.0)
        settings = self.Profile._company_settings([self.company.id])
        expected = profile_tools.population_cuts(
            [
                f
                for f in self.Profile._fetch_facts(TODAY)
                if f["company_id"] == self.company.id
            ],
            settings[self.company.id],
            TODAY,
        )
        cuts = self.Profile._population_cuts(TODAY, slice_size=5)
        self.assertEqual(cuts[str(self.company.id)], expected)
        self.assertEqual(self.Profile._population_cuts(TODAY), cuts)

    def _next_run(self, as_of=TODAY, **vals):
        self.Run.search([("state", "=", "running")]).write({"state": "done"})
        run = self.Run.create({"as_of": as_of, **vals})
        while run.state == "running":
            run._process_batch()
        return run

    def test_batches_run_with_the_garbage_collector_paused(self):
        """A batch's refresh runs without the cyclic collector, which is on
        again afterwards; a caller that had paused it finds it paused."""
        seen = []
        refresh = type(self.Profile)._refresh_partners

        def spy(profile, *args, **kwargs):
            seen.append(gc.isenabled())
            return refresh(profile, *args, **kwargs)

        self.assertTrue(gc.isenabled())
        with patch.object(type(self.Profile), "_refresh_partners", spy):
            run = self._next_run(forced=True)
        self.assertEqual(run.state, "done")
        self.assertTrue(seen)
        self.assertFalse(any(seen))
        self.assertTrue(gc.isenabled())
        with (
            self.assertRaises(RuntimeError),
            crm_lifecycle_batch_run.collector_paused(),
        ):
            self.assertFalse(gc.isenabled())
            raise RuntimeError("a batch failed")
        self.assertTrue(gc.isenabled(), "switched back on after an error")
        gc.disable()
        try:
            with crm_lifecycle_batch_run.collector_paused():
                pass
            self.assertFalse(gc.isenabled(), "left paused, as the caller had it")
        finally:
            gc.enable()

    def test_cut_points_from_stored_profiles(self):
        """After a run, the next one reads its cut points from the profiles:
        the same cut points as the orders give when the profiles are current,
        with recency moved by the days since, and with the orders confirmed
        in between counted, since confirming refreshes the customer (moments
        later, by the cron it wakes)."""
        first = self._recompute()
        # Demo companies, if any, kept their basis: only this one is new.
        self.assertIn(first.rfm_cuts_source, ("orders", "both"))
        mine = str(self.company.id)
        again = self._next_run()
        self.assertEqual(again.rfm_cuts_source, "profiles")
        self.assertEqual(again.rfm_cuts[mine], first.rfm_cuts[mine])
        tomorrow = TODAY + timedelta(days=1)
        expected = self.Profile._population_cuts(tomorrow, [self.company.id])
        moved = self._next_run(tomorrow)
        self.assertEqual(moved.rfm_cuts[mine], expected[mine])
        self.assertNotEqual(moved.rfm_cuts[mine]["r"], first.rfm_cuts[mine]["r"])
        # Three orders today, confirmed through Odoo: the top customer by
        # frequency and value moves the F and M cut points.
        for amount in (5000.0, 5000.0, 5000.0):
            order = self._order(self.customers[0], TODAY, amount, state="draft")
            order.action_confirm()
        # The cron that the confirmations woke refreshes their customer.
        self.env["crm.lifecycle.refresh.queue"]._cron_process()
        expected = self.Profile._population_cuts(TODAY, [self.company.id])
        self.assertNotEqual(expected[mine], first.rfm_cuts[mine])
        self.assertEqual(self._next_run().rfm_cuts[mine], expected[mine])

    def test_cut_points_from_orders_when_the_basis_changed(self):
        """Recompute now, a company whose RFM window or monetary basis
        changed, and a run after one that did not record its basis read the
        orders: the stored figures were computed under other settings."""
        first = self._recompute()
        mine = str(self.company.id)
        self.assertEqual(first.rfm_basis[mine], [730, "revenue"])
        self.company.lifecycle_rfm_window_days = 200
        changed = self._next_run()
        self.assertIn(changed.rfm_cuts_source, ("orders", "both"))
        self.assertEqual(
            changed.rfm_cuts[mine],
            self.Profile._population_cuts(TODAY, [self.company.id])[mine],
        )
        self.assertNotEqual(changed.rfm_cuts[mine], first.rfm_cuts[mine])
        self.assertEqual(self._next_run(forced=True).rfm_cuts_source, "orders")
        self.Run.search([]).write({"rfm_basis": False})
        self.assertEqual(self._next_run().rfm_cuts_source, "orders")
        self.assertEqual(self._next_run().rfm_cuts_source, "profiles")
        # The last run went through a part of today's customers only (they
        # were loaded since, or it was interrupted): their profiles do not
        # stand for everyone.
        self.Run.search([], limit=1).customers_done = 0.9 * self.Run._count_customers()
        self.assertEqual(self._next_run().rfm_cuts_source, "orders")
        # Profiles deleted since the last run: the company's orders are read
        # again, rather than a night without scores.
        self.Profile.search([("company_id", "=", self.company.id)]).unlink()
        deleted = self._next_run()
        self.assertIn(deleted.rfm_cuts_source, ("orders", "both"))
        self.assertEqual(deleted.rfm_cuts[mine], changed.rfm_cuts[mine])

    def test_cut_points_from_a_sample_of_the_orders_above_cuts_sample(self):
        """Above CUTS_SAMPLE customers, cut points read from the orders come
        from the customers the purchase model's sample holds (hashed ids):
        those of the tool over exactly these customers' facts."""
        customers = self.Run._count_customers()
        share = 0.5
        with patch.object(crm_lifecycle_run, "CUTS_SAMPLE", customers * share):
            run = self._next_run(forced=True)
        self.assertEqual(run.rfm_cuts_source, "orders")
        sampled = {
            row[0]
            for row in self.env.execute_query(
                SQL(
                    "SELECT p.commercial_partner_id FROM res_partner p WHERE TRUE %s",
                    self.env["crm.purchase.model"]._sample_filter(share),
                )
            )
        }
        mine = set(self.customers.ids)
        self.assertTrue(sampled & mine and mine - sampled, "half of them, roughly")
        facts = [
            f
            for f in self.Profile._fetch_facts(TODAY)
            if f["company_id"] == self.company.id and f["partner_id"] in sampled
        ]
        settings = self.Profile._company_settings([self.company.id])
        expected = profile_tools.population_cuts(
            facts, settings[self.company.id], TODAY
        )
        self.assertEqual(run.rfm_cuts[str(self.company.id)], expected)
        full = self.Profile._population_cuts(TODAY, [self.company.id])
        self.assertNotEqual(expected, full[str(self.company.id)])
        # The next run reads every stored profile again.
        self.assertEqual(
            self._next_run().rfm_cuts[str(self.company.id)],
            full[str(self.company.id)],
        )

    def test_batch_query_count_does_not_grow_with_customers(self):
        """A per-customer ORM loop would make queries grow with the batch."""
        self._recompute()
        self.Profile.search([]).unlink()
        small, large = self.customers[:3], self.customers
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=5):
            self.Profile._refresh_partners(small.ids, cuts={}, fits={})
        self.Profile.search([]).unlink()
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=5):
            self.Profile._refresh_partners(large.ids, cuts={}, fits={})

    def test_recompute_now(self):
        self.env["crm.lifecycle.run"].action_recompute_now()
        run = self.Run.search([], limit=1)
        self.assertEqual(run.state, "done")
        self.assertTrue(run.forced)
        self.assertEqual(
            len(self.Profile.search([("partner_id", "in", self.customers.ids)])), 12
        )

    def test_demo_generator_populates_every_stage_and_segment(self):
        self.Run._load_demo_data(customers=220, seed=7)
        mine = [("company_id", "=", self.company.id)]
        groups = self.Profile._read_group(mine, ["stage"], ["__count"])
        stages = {stage for stage, _count in groups}
        self.assertEqual(
            stages,
            {
                "prospect",
                "new",
                "active",
                "loyal",
                "at_risk",
                "dormant",
                "churned",
                "won_back",
            },
        )
        segments = {
            s for s, _c in self.Profile._read_group(mine, ["rfm_segment"], ["__count"])
        }
        self.assertGreaterEqual(len(segments - {False}), 10)
        months = self.env["crm.lifecycle.stage.report"]._read_group(
            mine, ["date:month"], ["__count"]
        )
        self.assertGreaterEqual(len(months), 20)

    def test_cron_reports_progress_per_batch(self):
        self.env["ir.config_parameter"].set_param("crm_lifecycle.batch_size", 5)
        cron = self.env.ref("crm_lifecycle.ir_cron_lifecycle_nightly")
        Model = self.env["crm.purchase.model"]
        Model.search([]).write({"fit_date": "2000-01-01"})
        companies = self.env["res.company"].search([])
        # Each stale purchase model is refit in a call of its own, before the
        # run exists: a refit reads every order of its company.
        for count in range(1, len(companies) + 1):
            cron.method_direct_trigger()
            self.assertFalse(self.Run.search([("state", "=", "running")]))
            fresh = Model.search([("fit_date", ">", "2001-01-01")])
            self.assertEqual(len(fresh), count)
        self.assertEqual(fresh.company_id, companies)
        # The next call only prepares the run (cut points over everyone).
        cron.method_direct_trigger()
        self.assertEqual(len(Model.search([("fit_date", ">", "2001-01-01")])), count)
        progress = self.env["ir.cron.progress"].search(
            [("cron_id", "=", cron.id)], order="id desc", limit=1
        )
        run = self.Run.search([("state", "=", "running")])
        self.assertEqual(len(run), 1)
        self.assertTrue(run.rfm_cuts)
        self.assertEqual(run.customers_done, 0)
        self.assertEqual(progress.done, 0)
        self.assertEqual(progress.remaining, run.customers_total)
        cron.method_direct_trigger()
        progress = self.env["ir.cron.progress"].search(
            [("cron_id", "=", cron.id)], order="id desc", limit=1
        )
        self.assertEqual(progress.done, 5)
        self.assertGreater(progress.remaining, 0)
        run = self.Run.search([("state", "=", "running")])
        self.assertEqual(run.customers_done, 5)
        self.assertEqual(progress.remaining, run.customers_total - 5)

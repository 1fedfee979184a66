from itertools import pairwise
from unittest.mock import patch

import psycopg2

from odoo.tests import Form, freeze_time, tagged
from odoo.tools import SQL, mute_logger

from .common import TODAY, LifecycleCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestBatchEngine(LifecycleCommon):
    """The nightly engine (crm.lifecycle.batch.run) through the lifecycle
    step: batches planned by id, taken one at a time, taken again after a
    failure, progress read from them, and the extra workers' crons. Two
    workers racing on a real database: tests/test_faults.py."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for index in range(7):
            cls._customer(f"Engine customer {index}", [300 - 20 * index], [80.0])
        cls.Run.search([("state", "=", "running")]).write({"state": "done"})
        cls.env["ir.config_parameter"].set_param("crm_lifecycle.batch_size", 4)

    def _batches(self, run):
        return self.env.execute_query(
            SQL(
                """
                SELECT first_id, last_id, state, customers
                  FROM crm_lifecycle_batch
                 WHERE res_model = %s AND run_id = %s ORDER BY id
                """,
                run._name,
                run.id,
            )
        )

    def _customer_ids(self):
        return [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    "SELECT id FROM res_partner WHERE id = commercial_partner_id"
                    " ORDER BY id"
                )
            )
        ]

    def test_batches_cover_every_customer_once(self):
        """Planned by id from 1, contiguous, the last one open-ended (a
        customer created during the run is not forgotten)."""
        run = self.Run.create({"as_of": TODAY})
        customers = self._customer_ids()
        batches = self._batches(run)
        self.assertEqual(len(batches), -(-len(customers) // 4))
        self.assertEqual(batches[0][0], 1)
        self.assertIsNone(batches[-1][1])
        for before, after in pairwise(batches):
            self.assertEqual(after[0], before[1] + 1)
        self.assertEqual({state for _f, _l, state, _n in batches}, {"todo"})
        late = self._customer("Customer of the night", [30], [40.0])
        while run.state == "running":
            run._process_batch()
        self.assertEqual(run.customers_done, len(customers) + 1)
        # The last batch, open-ended, takes the new customer, and is cut in
        # two if that makes it larger than a batch.
        self.assertEqual(run.batch_count, len(batches) + (len(customers) % 4 == 0))
        self.assertEqual(len(self._batches(run)), 1, "one row once the run is done")
        self.assertTrue(
            self.Profile.search_count([("partner_id", "=", late.id)]),
            "the customer created after the plan has a profile",
        )

    def test_a_smaller_batch_cuts_the_planned_one(self):
        run = self.Run.create({"as_of": TODAY})
        planned = len(self._batches(run))
        run._process_batch(batch_size=3)
        self.assertEqual(run.customers_done, 3)
        self.assertEqual(run.batch_count, 1)
        batches = self._batches(run)
        self.assertEqual(len(batches), planned + 1, "the rest is a batch to do")
        self.assertEqual(batches[0][2:], ("done", 3))
        self.assertEqual(run.cursor, self._customer_ids()[2])
        while run.state == "running":
            run._process_batch(batch_size=3)
        self.assertEqual(run.customers_done, run.customers_total)

    def test_a_failed_batch_is_taken_again(self):
        """A batch whose transaction fails (a crashed worker) is still to do:
        the next call takes it, and no customer is counted twice."""
        run = self.Run.create({"as_of": TODAY})
        refresh = type(self.Profile)._refresh_partners
        calls = []

        def fail_once(profile, *args, **kwargs):
            calls.append(args[0])
            if len(calls) == 1:
                raise RuntimeError("the worker died")
            return refresh(profile, *args, **kwargs)

        with patch.object(type(self.Profile), "_refresh_partners", fail_once):
            with self.assertRaises(RuntimeError), self.env.cr.savepoint():
                run._process_batch()
            run.invalidate_recordset()
            self.assertEqual(run.customers_done, 0)
            self.assertEqual(self._batches(run)[0][2], "todo")
            while run.state == "running":
                run._process_batch()
        self.assertEqual(calls[0], calls[1], "the same batch, taken again")
        self.assertEqual(run.customers_done, run.customers_total)

    def test_one_running_run_per_step(self):
        """Two workers starting the night at once: the second one's run is
        refused by the database, and it takes batches of the first."""
        run = self.Run.create({"as_of": TODAY})
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.Run.create({"as_of": TODAY})
        self.assertEqual(self.Run._current_run(), run)

    def test_worker_crons_follow_the_setting(self):
        Cron = self.env["ir.cron"].with_context(active_test=False)

        def workers():
            return Cron.search(
                [
                    ("model_id.model", "=", "crm.lifecycle.run"),
                    ("code", "=like", "model._cron_nightly_worker(%"),
                ]
            )

        settings = Form(self.env["res.config.settings"])
        settings.lifecycle_nightly_workers = 3
        settings.save().execute()
        self.assertEqual(len(workers().filtered("active")), 2)
        self.assertIn("(worker 2)", workers()[0].name)
        settings = Form(self.env["res.config.settings"])
        settings.lifecycle_nightly_workers = 1
        settings.save().execute()
        self.assertFalse(workers().filtered("active"))
        self.assertEqual(len(workers()), 2, "switched off, kept for later")

    def test_a_worker_takes_batches_of_the_running_run_only(self):
        self.Run._cron_nightly_worker()
        self.assertFalse(self.Run.search([("state", "=", "running")]))
        run = self.Run.create({"as_of": TODAY})
        self.Run._cron_nightly_worker()
        self.assertEqual(run.batch_count, 1)
        self.assertEqual(run.customers_done, 4)

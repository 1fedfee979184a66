import json
import logging
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, ormcache

from ..utils import collector_paused
from .crm_purchase_model import MIN_DATE

_logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000
SYNC_LIMIT = 10000
# Above this many customers, cut points read from the orders (the first run,
# Recompute now) come from a random sample of about this many: aggregating
# every customer's window took 18.7 s of one cron call at a million
# customers (docs/BENCHMARKS.md of 2026-12-03). The next run reads them from
# every stored profile again.
CUTS_SAMPLE = 100000
# The stored profiles stand for the customer base only if the last run went
# through about all of today's customers: customers loaded since without
# their orders' confirmation (an import, a migration) have no profile yet.
CUTS_COVERAGE = 0.95


class CrmLifecycleRun(models.Model):
    """A recompute of every customer, processed in resumable batches.

    The run remembers the last commercial partner id it finished; a crashed or
    timed-out cron picks up after it. Population-wide inputs (RFM cut points,
    purchase-model fits) are computed once at the start and stored here, so
    every batch, and every order confirmation after the run, scores against
    the same population.
    """

    _name = "crm.lifecycle.run"
    _description = "Lifecycle Recompute Run"
    _order = "id desc"
    _rec_name = "as_of"

    as_of = fields.Date(required=True, readonly=True)
    state = fields.Selection(
        [("running", "Running"), ("done", "Done")],
        default="running",
        required=True,
        readonly=True,
    )
    forced = fields.Boolean(readonly=True, help="Requested with Recompute now.")
    cursor = fields.Integer(
        readonly=True, help="Last commercial partner id processed by this run."
    )
    rfm_cuts = fields.Json(readonly=True)
    rfm_basis = fields.Json(
        "RFM basis",
        readonly=True,
        help="Each company's RFM window and monetary basis when the run was "
        "prepared: the next run reuses the stored profiles for the cut points "
        "of the companies whose basis did not change.",
    )
    rfm_cuts_source = fields.Selection(
        [
            ("orders", "Orders"),
            ("profiles", "Stored profiles"),
            ("both", "Stored profiles and orders"),
        ],
        string="Cut points from",
        readonly=True,
        help="Orders: every customer's window figures aggregated from the "
        "orders (the first run, Recompute now, or after a company changed its "
        "RFM settings). Stored profiles: the figures the last run and the "
        "order confirmations since left on the profiles. Both: stored "
        "profiles, and the orders for the companies whose RFM settings "
        "changed.",
    )
    customers_total = fields.Integer(readonly=True)
    customers_done = fields.Integer(readonly=True)
    profiles_written = fields.Integer(readonly=True)
    batch_count = fields.Integer(readonly=True)
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    duration = fields.Float("Duration (s)", digits=(16, 1), readonly=True)

    @api.constrains("as_of")
    def _check_as_of(self):
        # A run dated in the future would compute every stage as of then.
        tomorrow = fields.Date.context_today(self) + timedelta(days=1)
        for run in self:
            if not MIN_DATE <= run.as_of <= tomorrow:
                raise ValidationError(
                    self.env._("A lifecycle run must be dated between 1900 and today.")
                )

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def _cron_nightly(self, batch_size=None):
        """Process one step of tonight's work (the cron calls this up to 10
        times, and again while work remains): first the refit of each stale
        purchase model, one company per call; then the run's preparation
        (RFM cut points); then one batch of customers per call.

        Safe to run twice: once today's run is done, nothing happens.
        """
        starting = not self.search_count([("state", "=", "running")], limit=1)
        if (
            starting
            and not self._done_today()
            and self._refit_stale_models(fields.Date.context_today(self), limit=1)
        ):
            # A refit reads every order of its company: one company's refit
            # is a call of its own, before the run and its cut points.
            self.env["ir.cron"]._notify_progress(done=1, remaining=1)
            return
        run = self._current_run()
        if not run:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return
        if starting:
            # The preparation (RFM cut points over everyone, and the refit
            # of any model the calls before left) is this call's whole work:
            # with the first batch on top it would be the longest
            # transaction of the night.
            self.env["ir.cron"]._notify_progress(done=0, remaining=run.customers_total)
            return
        done, remaining = run._process_batch(batch_size)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    def action_recompute_now(self):
        """Managers' button: start a fresh run.

        Small databases are recomputed at once; larger ones in the background
        by the nightly cron, triggered now.
        """
        self.check_access("create")
        today = fields.Date.context_today(self)
        self.search([("state", "=", "running")]).write({"state": "done"})
        run = self.create({"as_of": today, "forced": True})
        if run.customers_total <= SYNC_LIMIT:
            while run.state == "running":
                run._process_batch(SYNC_LIMIT)
            message = self.env._(
                "%(count)s customers recomputed.", count=run.customers_done
            )
        else:
            # Triggering needs write access on ir.cron, reserved to admins; the
            # caller was checked above for the right to start a run.
            self.env.ref("crm_lifecycle.ir_cron_lifecycle_nightly").sudo()._trigger()
            message = self.env._(
                "%(count)s customers will be recomputed in the background.",
                count=run.customers_total,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Lifecycle"),
                "message": message,
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------
    # Batches
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        runs = super().create(vals_list)
        for run in runs:
            run._prepare()
        return runs

    def write(self, vals):
        if "rfm_cuts" in vals:
            # The latest run's cut points are cached (_latest_cuts).
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    @api.model
    def _current_run(self):
        today = fields.Date.context_today(self)
        running = self.search([("state", "=", "running")], order="id", limit=1)
        if running:
            return running
        if self._done_today():
            return self.browse()
        return self.create({"as_of": today})

    @api.model
    def _done_today(self):
        today = fields.Date.context_today(self)
        return bool(
            self.search_count([("as_of", "=", today), ("state", "=", "done")], limit=1)
        )

    def _prepare(self):
        """Population-wide steps: refit stale purchase models, RFM cut points."""
        self.ensure_one()
        started = time.monotonic()
        # Uninstalling sale_margin drops its margin column, and PostgreSQL
        # drops the orders' covering index with it: put it back (a catalog
        # lookup when it is there).
        self.env["sale.order"]._lifecycle_facts_index()
        self._refit_stale_models(self.as_of)
        customers = self._count_customers()
        share = min(1.0, CUTS_SAMPLE / customers) if customers else 1.0
        basis = self._rfm_basis_now()
        cuts, source = self._prepare_cuts(basis, share, customers)
        self.write(
            {
                "rfm_cuts": cuts,
                "rfm_basis": basis,
                "rfm_cuts_source": source,
                "customers_total": customers,
                "started_at": fields.Datetime.now(),
                "cursor": 0,
            }
        )
        _logger.info(
            "Lifecycle run %s prepared in %.1fs for %s customers (cut points "
            "from %s; orders sampled at %.3f)",
            self.as_of,
            time.monotonic() - started,
            customers,
            source,
            share,
        )

    @api.model
    def _rfm_basis_now(self):
        """What the stored RFM figures depend on, per company: a profile
        computed under another window or monetary basis holds other figures."""
        return {
            str(company.id): [
                company.lifecycle_rfm_window_days,
                company.lifecycle_rfm_monetary,
            ]
            # The settings of every company, as the batches read them.
            for company in self.env["res.company"].sudo().search([])
        }

    def _prepare_cuts(self, basis, share=1.0, customers=0):
        """(cut points, source): from the stored profiles for the companies
        whose RFM basis is the last run's, from the orders for the others
        (a random ``share`` of the customers).

        The first run has no profiles to read, and a manager's Recompute now
        is the way to rebuild everything from the orders: both read the
        orders, as does a run after one that went through fewer than
        ``CUTS_COVERAGE`` of today's ``customers`` (interrupted, or before
        customers were loaded in bulk).
        """
        Profile = self.env["crm.lifecycle.profile"]
        previous = self.search([("id", "!=", self.id)], order="id desc", limit=1)
        kept = (
            []
            if self.forced
            or not previous
            or previous.customers_done < CUTS_COVERAGE * customers
            else [
                int(company)
                for company, settings in basis.items()
                if (previous.rfm_basis or {}).get(company) == settings
            ]
        )
        cuts = Profile._stored_cuts(self.as_of, kept)
        # A kept company without stored window buyers had some at the last
        # run only if its profiles were deleted since: then its orders are
        # read. One that had none still has none (an order confirmed since
        # would have written its profile); its orders are not read, which
        # through the date index that every company shares would scan the
        # whole window again.
        changed = [
            int(company)
            for company in basis
            if int(company) not in kept
            or (company not in cuts and (previous.rfm_cuts or {}).get(company))
        ]
        if changed:
            cuts.update(Profile._population_cuts(self.as_of, changed, share))
        reused = set(kept) - set(changed)
        source = "both" if reused and changed else "orders" if changed else "profiles"
        return cuts, source

    @api.model
    def _refit_stale_models(self, as_of, limit=None):
        """Refit the purchase models older than their company's refit
        interval, at most ``limit`` of them; returns how many were refit."""
        Model = self.env["crm.purchase.model"]
        companies = self.env["res.company"].search([])
        latest = Model._latest(companies.ids)
        refit = 0
        for company in companies:
            if limit is not None and refit >= limit:
                break
            model = latest.get(company.id)
            age = company.lifecycle_refit_days
            if (
                model
                and model.fit_date
                and (fields.Datetime.now() - model.fit_date < timedelta(days=age))
            ):
                continue
            Model.create(
                {
                    "company_id": company.id,
                    "calibration_end": as_of,
                }
            )._fit()
            refit += 1
        return refit

    def _count_customers(self, after=0):
        query = SQL(
            "SELECT COUNT(*) FROM res_partner"
            " WHERE id = commercial_partner_id AND id > %s",
            after,
        )
        return self.env.execute_query(query)[0][0]

    def _next_partner_ids(self, batch_size):
        query = SQL(
            """
            SELECT id FROM res_partner
             WHERE id = commercial_partner_id AND id > %s
             ORDER BY id LIMIT %s
            """,
            self.cursor,
            batch_size,
        )
        return [row[0] for row in self.env.execute_query(query)]

    def _process_batch(self, batch_size=None):
        """Recompute the next batch of customers; return (done, remaining)."""
        self.ensure_one()
        batch_size = batch_size or int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crm_lifecycle.batch_size", DEFAULT_BATCH_SIZE)
        )
        started = time.monotonic()
        partner_ids = self._next_partner_ids(batch_size)
        Profile = self.env["crm.lifecycle.profile"]
        written = 0
        if partner_ids:
            fits = self.env["crm.purchase.model"]._latest_fits(
                self.env["res.company"].search([]).ids
            )
            with collector_paused():
                written = Profile._refresh_partners(
                    partner_ids, as_of=self.as_of, cuts=self.rfm_cuts or {}, fits=fits
                )
        vals = {
            "cursor": partner_ids[-1] if partner_ids else self.cursor,
            "customers_done": self.customers_done + len(partner_ids),
            "profiles_written": self.profiles_written + written,
            "batch_count": self.batch_count + 1,
        }
        # A short batch means there is nobody after the cursor: no COUNT over
        # res_partner per batch. The figure reported to ir.cron is the
        # estimate taken when the run was prepared.
        finished = len(partner_ids) < batch_size
        remaining = (
            0 if finished else max(self.customers_total - vals["customers_done"], 1)
        )
        if finished:
            vals.update(
                state="done",
                finished_at=fields.Datetime.now(),
            )
        self.write(vals)
        if self.state == "done" and self.started_at:
            self.duration = (self.finished_at - self.started_at).total_seconds()
        _logger.info(
            "Lifecycle run %s: %s customers in %.2fs, %s written, %s remaining",
            self.as_of,
            len(partner_ids),
            time.monotonic() - started,
            written,
            remaining,
        )
        return max(len(partner_ids), 1), remaining

    @api.model
    def _latest_cuts(self):
        """The last run's RFM cut points, scored against by every order
        confirmation; kept per registry (dropped when a run's cut points
        change) instead of being read in each request."""
        return json.loads(self._latest_cuts_cached())

    @ormcache()
    def _latest_cuts_cached(self):
        # Cut points are population statistics, not customer data: read them
        # whoever confirms the order that triggers the refresh. Kept as text:
        # every caller gets its own copy.
        run = self.sudo().search([], order="id desc", limit=1)
        return json.dumps(run.rfm_cuts or {})

    # ------------------------------------------------------------------
    # History rebuild and demo data
    # ------------------------------------------------------------------

    @api.model
    def _rebuild_history(self, months=24, today=None):
        """Replay the rules at every past month end to fill the stage history.

        Stages are a pure function of the order history and the date, so the
        past can be reconstructed; used by the demo data and after installing
        the module on a database that already has years of orders.
        """
        today = today or fields.Date.context_today(self)
        Profile = self.env["crm.lifecycle.profile"]
        partner_ids = [
            row[0]
            for row in self.env.execute_query(
                SQL("SELECT id FROM res_partner WHERE id = commercial_partner_id")
            )
        ]
        first_of_month = today.replace(day=1)
        for back in range(months, 0, -1):
            month_end = _add_months(first_of_month, -back + 1) - timedelta(days=1)
            cuts = Profile._population_cuts(month_end)
            for start in range(0, len(partner_ids), DEFAULT_BATCH_SIZE):
                Profile._refresh_partners(
                    partner_ids[start : start + DEFAULT_BATCH_SIZE],
                    as_of=month_end,
                    cuts=cuts,
                    fits={},
                )

    @api.model
    def _load_demo_data(self, customers=220, seed=42):
        """Demo sales history and its computation: see demo/demo_loader.py."""
        from ..demo import demo_loader

        return demo_loader.load(self.env, customers=customers, seed=seed)


def _add_months(day, months):
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)

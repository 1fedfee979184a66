import json
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, ormcache

from .crm_purchase_model import MIN_DATE

_logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000
SYNC_LIMIT = 10000
# Above this many customers, cut points read from the orders (the first run,
# Recompute now) come from a random sample of about this many: aggregating
# every customer's window would make that cron call the longest of the night
# at a million customers. The next run reads them from every stored profile
# again.
CUTS_SAMPLE = 100000
# The stored profiles stand for the customer base only if the last run went
# through about all of today's customers: customers loaded since without
# their orders' confirmation (an import, a migration) have no profile yet.
CUTS_COVERAGE = 0.95


class CrmLifecycleRun(models.Model):
    """The lifecycle step of the night: every customer's profile recomputed,
    on the engine of ``crm.lifecycle.batch.run``.

    Population-wide inputs (RFM cut points, purchase-model fits) are
    computed once when the run is prepared and stored on it, so that every
    batch, and every order confirmation after the run, scores against the
    same population.
    """

    _name = "crm.lifecycle.run"
    _inherit = ["crm.lifecycle.batch.run"]
    _description = "Lifecycle Recompute Run"
    _batch_size_param = "crm_lifecycle.batch_size"
    _batch_default_size = DEFAULT_BATCH_SIZE
    _batch_sync_limit = SYNC_LIMIT
    _batch_cron_xmlid = "crm_lifecycle.ir_cron_lifecycle_nightly"
    # The preparation (RFM cut points over everyone, and the refit of any
    # model the calls before left) is a cron call of its own.
    _batch_prepare_alone = True

    forced = fields.Boolean(help="Requested with Recompute now.")
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
    rows_written = fields.Integer(
        "Profiles written",
        help="Customers whose profile changed and was written.",
    )

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
    # The engine's hooks
    # ------------------------------------------------------------------

    def action_recompute_now(self):
        """Managers' button (Recompute now): the engine's Run now."""
        return self.action_run_now()

    def _run_now_title(self):
        return self.env._("Lifecycle")

    def _run_now_message(self, synchronous):
        if synchronous:
            return self.env._(
                "%(count)s customers recomputed.", count=self.customers_done
            )
        return self.env._(
            "%(count)s customers will be recomputed in the background.",
            count=self.customers_total,
        )

    @api.model
    def _cron_before_run(self):
        """A refit reads every order of its company: the refit of each stale
        purchase model is a cron call of its own, one company per call,
        before the run and its cut points."""
        return bool(self._refit_stale_models(fields.Date.context_today(self), limit=1))

    def _prepare_vals(self):
        """Population-wide steps: refit stale purchase models, RFM cut points."""
        vals = super()._prepare_vals()
        # Uninstalling an addon that adds a column of the orders' covering
        # index drops the index with it: put it back (a catalog lookup when
        # it is there).
        self.env["sale.order"]._lifecycle_facts_index()
        self._refit_stale_models(self.as_of)
        customers = vals["customers_total"]
        share = min(1.0, CUTS_SAMPLE / customers) if customers else 1.0
        basis = self._rfm_basis_now()
        cuts, source = self._prepare_cuts(basis, share, customers)
        _logger.info(
            "Lifecycle run %s: cut points from %s (orders sampled at %.3f)",
            self.as_of,
            source,
            share,
        )
        return {
            **vals,
            "rfm_cuts": cuts,
            "rfm_basis": basis,
            "rfm_cuts_source": source,
        }

    def _run_batch(self, partner_ids):
        fits = self.env["crm.purchase.model"]._latest_fits(
            self.env["res.company"].search([]).ids
        )
        return self.env["crm.lifecycle.profile"]._refresh_partners(
            partner_ids, as_of=self.as_of, cuts=self.rfm_cuts or {}, fits=fits
        )

    def write(self, vals):
        if "rfm_cuts" in vals:
            # The latest run's cut points are cached (_latest_cuts).
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

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

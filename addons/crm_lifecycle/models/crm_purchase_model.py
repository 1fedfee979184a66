from array import array
from collections import namedtuple
from datetime import date, timedelta
from types import MappingProxyType

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, ormcache

from ..tools import clv
from ..tools.profile import TIME_UNIT_DAYS
from ..utils import stream
from .crm_lifecycle_profile import ensure_existing

PENALIZERS = (0.0, 1e-4, 1e-3, 1e-2)
# Above this many customers a company's fit uses a random sample of about
# this size: at 973,350 customers a sample of 200,000 gave the parameters to
# within 1% of the full fit, and the full fit's inputs alone took 12 s. That
# sample's refit call still took 11.5 s on a slower 2-core machine
# (docs/BENCHMARKS.md of 2026-12-03), the inputs' time following the sample's
# size; at 97,429 customers, half of them gave the four BG/NBD parameters
# within 1.2% of the full fit (r 0.6%, alpha 1.0%, a 1.1%, b 1.2%).
FIT_SAMPLE = 100000
# The sample keeps the customers whose hashed id falls below a threshold out
# of this many values: the same customers every time for a given share.
SAMPLE_SCALE = 1 << 20
# Below this share of the customers, a sample's orders are read customer by
# customer through the covering index; above it, by reading every order and
# filtering the hash, which is faster when most customers are in: the fit of
# 99.8% of 100,000 customers took 5.4 s customer by customer, 3.4 s whole.
SAMPLE_BY_CUSTOMER_BELOW = 0.5
# Earliest date a fit or a run may be computed at: far enough back for any
# sales history, and far from the date arithmetic's lower limit.
MIN_DATE = date(1900, 1, 1)

# What scoring needs of a company's latest fit; cached, so immutable.
Fit = namedtuple("Fit", ["id", "state", "prediction"])


class CrmPurchaseModel(models.Model):
    """One fit of the BG/NBD purchase and Gamma-Gamma spend models.

    Fits are kept as records so that users can see which parameters produced
    the predictions, refit on an earlier calibration end and compare the
    predictions with what customers actually did afterwards (the holdout).
    """

    _name = "crm.purchase.model"
    _inherit = ["crm.lifecycle.cached.mixin"]
    _description = "Customer Purchase Model"
    _order = "fit_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    calibration_end = fields.Date(
        required=True,
        default=fields.Date.context_today,
        help="Orders after this date are ignored by the fit, so that they can "
        "serve as a holdout to check the predictions.",
    )
    time_unit = fields.Selection(
        [("day", "Days"), ("week", "Weeks"), ("month", "Months")],
        default="week",
        required=True,
    )
    state = fields.Selection(
        [
            ("draft", "Not fitted"),
            ("fitted", "Fitted"),
            ("heuristic", "Heuristic fallback"),
        ],
        default="draft",
        required=True,
        readonly=True,
    )
    message = fields.Text(readonly=True)
    r = fields.Float(digits=(16, 6), readonly=True)
    alpha = fields.Float(digits=(16, 6), readonly=True)
    a = fields.Float(digits=(16, 6), readonly=True)
    b = fields.Float(digits=(16, 6), readonly=True)
    p = fields.Float(digits=(16, 6), readonly=True)
    q = fields.Float(digits=(16, 6), readonly=True)
    gamma = fields.Float(digits=(16, 6), readonly=True)
    penalizer = fields.Float(
        "L2 penalty",
        digits=(16, 4),
        readonly=True,
        help="Zero for a plain maximum-likelihood fit.",
    )
    customer_count = fields.Integer("Customers used", readonly=True)
    repeat_customer_count = fields.Integer("Repeat customers", readonly=True)
    log_likelihood = fields.Float(
        "BG/NBD log-likelihood", digits=(16, 2), readonly=True
    )
    gg_log_likelihood = fields.Float(
        "Gamma-Gamma log-likelihood", digits=(16, 2), readonly=True
    )
    fit_date = fields.Datetime(readonly=True)
    holdout_days = fields.Integer(readonly=True)
    holdout_predicted = fields.Float(
        "Predicted repeat purchases in holdout", digits=(16, 1), readonly=True
    )
    holdout_actual = fields.Integer("Actual repeat purchases in holdout", readonly=True)
    holdout_error = fields.Float(
        "Holdout error (%)",
        digits=(16, 1),
        readonly=True,
        help="(predicted - actual) / actual over the holdout period.",
    )

    @api.depends("company_id", "calibration_end", "state")
    def _compute_name(self):
        for model in self:
            model.name = self.env._(
                "%(company)s, calibrated to %(date)s",
                company=model.company_id.name,
                date=model.calibration_end,
            )

    def _fit_inputs(self, until=None, share=1.0):
        """Per-customer inputs as of the calibration end, as numpy arrays:
        (partner ids, repeat purchases x, days from first to last purchase,
        days from first purchase to the calibration end, repeat spend).

        Orders on the same day count as one purchase, as in the literature.
        The rows stream from a server-side cursor into compact arrays: a
        million customers as Python tuples took half a gigabyte. With a
        ``share`` below 1, only a random sample of about that share of the
        customers (see ``_sampled_inputs``).
        """
        self.ensure_one()
        self.env["sale.order"].flush_model(
            ["state", "date_order", "partner_id", "company_id", "amount_untaxed"]
        )
        end = until or self.calibration_end + timedelta(days=1)
        query = SQL(
            """
            WITH days AS (
                SELECT p.commercial_partner_id AS partner_id,
                       so.date_order::date AS day,
                       SUM(so.amount_untaxed
                           / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS amount
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE %(orders)s
                   %(sample)s
                 GROUP BY 1, 2
            ), ranked AS (
                SELECT partner_id, day, amount,
                       ROW_NUMBER() OVER (PARTITION BY partner_id ORDER BY day) AS rn
                  FROM days
            )
            SELECT partner_id, COUNT(*) - 1, MAX(day) - MIN(day),
                   %(cal_end)s::date - MIN(day),
                   COALESCE(SUM(amount) FILTER (WHERE rn > 1), 0)::float8
              FROM ranked
             GROUP BY partner_id
             ORDER BY partner_id
            """,
            orders=self._fit_orders(end),
            cal_end=self.calibration_end,
            sample=self._sample_filter(share),
        )
        columns = (array("q"), array("d"), array("d"), array("d"), array("d"))
        for rows in stream(self.env.cr, query):
            for row in rows:
                for column, value in zip(columns, row, strict=True):
                    column.append(value)
        return tuple(np.array(column) for column in columns)

    def _sampled_inputs(self):
        """``(share, inputs)``: the fit's inputs over every customer of the
        company up to ``FIT_SAMPLE`` of them, else over a random sample of
        about that many.

        The company's customers are only known once its orders were read,
        which is the expensive part; the share is therefore first taken
        against every commercial partner of the database. For a company
        holding few of them, that sample comes out small: its customers are
        then counted, and read again with the share their number calls for
        (a company of at most ``FIT_SAMPLE`` customers is read whole).
        """
        self.ensure_one()
        everyone = self.env["crm.lifecycle.run"]._count_customers()
        share = min(1.0, FIT_SAMPLE / everyone) if everyone else 1.0
        inputs = self._fit_inputs(share=share)
        if share < 1.0 and len(inputs[0]) < FIT_SAMPLE / 2:
            customers = self._count_fit_customers()
            share = min(1.0, FIT_SAMPLE / customers) if customers else 1.0
            inputs = self._fit_inputs(share=share)
        return share, inputs

    def _count_fit_customers(self):
        """How many customers ``_fit_inputs`` reads without a sample."""
        [(count,)] = self.env.execute_query(
            SQL(
                """
                SELECT COUNT(DISTINCT p.commercial_partner_id)
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE %s
                """,
                self._fit_orders(self.calibration_end + timedelta(days=1)),
            )
        )
        return count

    def _fit_orders(self, end):
        """The orders a fit reads (alias ``so``): the company's confirmed
        orders before ``end``."""
        return SQL(
            "so.state = 'sale' AND so.company_id = %s AND so.date_order < %s",
            self.company_id.id,
            end,
        )

    @api.model
    def _sample_filter(self, share):
        """The condition keeping the sampled customers (alias ``p``, the
        orders' partner): those whose hashed id falls under ``share``.

        hashint4 (the hash of PostgreSQL's int4 hash indexes) mixes the id's
        bits, the same way every time, so that the sample does not follow
        the order customers were created in, nor any pattern in their ids.
        A small sample picks its customers first, as an array, so that only
        their orders are read, through the covering index by customer:
        filtering the hash after joining every order to its customer scanned
        all ten million orders of a million customers, 11 s for a fit of a
        tenth of them. An array of a subquery, because the planner then
        counts on a few customers and goes through the indexes; it reckons
        the hash filter keeps a third of everyone.
        """
        if share >= 1.0:
            return SQL()
        threshold = max(1, round(share * SAMPLE_SCALE))
        if share >= SAMPLE_BY_CUSTOMER_BELOW:
            return SQL(
                "AND (hashint4(p.commercial_partner_id) & %s) < %s",
                SAMPLE_SCALE - 1,
                threshold,
            )
        return SQL(
            """
            AND p.commercial_partner_id = ANY(ARRAY(
                SELECT s.id FROM res_partner s
                 WHERE s.id = s.commercial_partner_id
                   AND (hashint4(s.id) & %s) < %s
            ))
            """,
            SAMPLE_SCALE - 1,
            threshold,
        )

    def _holdout_actuals(self, partner_ids, start, end):
        query = SQL(
            """
            SELECT COUNT(DISTINCT (p.commercial_partner_id, so.date_order::date))
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.state = 'sale'
               AND so.company_id = %(company)s
               AND so.date_order >= %(start)s AND so.date_order < %(end)s
               AND p.commercial_partner_id = ANY(%(partners)s)
            """,
            company=self.company_id.id,
            start=start,
            end=end,
            partners=partner_ids,
        )
        return self.env.execute_query(query)[0][0]

    @api.constrains("calibration_end")
    def _check_calibration_end(self):
        tomorrow = fields.Date.context_today(self) + timedelta(days=1)
        for model in self:
            if not MIN_DATE <= model.calibration_end <= tomorrow:
                raise ValidationError(
                    self.env._("The calibration end must be between 1900 and today.")
                )

    def action_fit(self):
        """Fit both models by maximum likelihood and score the holdout."""
        ensure_existing(self)
        self.check_access("write")
        for model in self:
            model._fit()
        return True

    def _fit(self):
        self.ensure_one()
        share, (partner_ids, x, t_x, big_t, spend) = self._sampled_inputs()
        unit = TIME_UNIT_DAYS[self.time_unit]
        t_x, big_t = t_x / unit, big_t / unit
        cal_end = self.calibration_end
        vals = {
            "fit_date": fields.Datetime.now(),
            "customer_count": len(partner_ids),
            "r": 0.0,
            "alpha": 0.0,
            "a": 0.0,
            "b": 0.0,
            "p": 0.0,
            "q": 0.0,
            "gamma": 0.0,
            "log_likelihood": 0.0,
            "gg_log_likelihood": 0.0,
            "holdout_days": 0,
            "holdout_predicted": 0.0,
            "holdout_actual": 0,
            "holdout_error": 0.0,
        }
        if not len(partner_ids):
            vals.update(
                state="heuristic",
                repeat_customer_count=0,
                message=self.env._(
                    "No confirmed orders up to the calibration end: predictions use "
                    "the heuristic."
                ),
            )
            self._write_fit(vals, share)
            return
        m = np.divide(spend, x, out=np.zeros_like(spend), where=x > 0)
        repeaters = int((x > 0).sum())
        vals["repeat_customer_count"] = repeaters
        stable = False
        penalizer = 0.0
        if (
            len(partner_ids) >= clv.MIN_CUSTOMERS
            and repeaters >= clv.MIN_REPEAT_CUSTOMERS
        ):
            # The plain optimum can sit at the edge of the parameter space
            # (a, b -> infinity: every customer has the same dropout rate);
            # a small L2 penalty, as in the lifetimes package, pulls it back.
            for penalizer in PENALIZERS:
                fit = clv.fit_bgnbd(x, t_x, big_t, penalizer=penalizer)
                stable = clv.fit_is_stable(fit)
                if stable:
                    break
        vals["penalizer"] = penalizer if stable else 0.0
        if not stable:
            vals.update(
                state="heuristic",
                message=self.env._(
                    "Too little data for a stable fit (%(customers)s customers, "
                    "%(repeaters)s repeat buyers; at least %(min_c)s and %(min_r)s "
                    "are needed, and the optimiser must converge). Predictions use "
                    "the heuristic: purchase rate = purchases / customer age, "
                    "probability alive = chance of such a customer being silent "
                    "this long.",
                    customers=len(partner_ids),
                    repeaters=repeaters,
                    min_c=clv.MIN_CUSTOMERS,
                    min_r=clv.MIN_REPEAT_CUSTOMERS,
                ),
            )
            self._write_fit(vals, share)
            return
        vals.update(
            state="fitted",
            r=fit["r"],
            alpha=fit["alpha"],
            a=fit["a"],
            b=fit["b"],
            log_likelihood=fit["log_likelihood"],
            message=self.env._(
                "The unpenalised optimum lies at the edge of the parameter space; "
                "fitted with an L2 penalty of %(penalizer)s on the parameters.",
                penalizer=penalizer,
            )
            if penalizer
            else False,
        )
        repeat = (x > 0) & (m > 0)
        gg = clv.fit_gamma_gamma(x[repeat], m[repeat]) if repeat.any() else None
        if gg and gg["converged"] and gg["q"] > 1:
            vals.update(
                p=gg["p"],
                q=gg["q"],
                gamma=gg["gamma"],
                gg_log_likelihood=gg["log_likelihood"],
            )
        else:
            notes = [
                vals.get("message") or "",
                self.env._(
                    "The spend model did not converge: predicted value uses each "
                    "customer's own average spend."
                ),
            ]
            vals["message"] = "\n".join(note for note in notes if note)

        today = fields.Date.context_today(self)
        if today > cal_end:
            holdout = (today - cal_end).days
            predicted = clv.bgnbd_expected_purchases(
                fit["r"],
                fit["alpha"],
                fit["a"],
                fit["b"],
                holdout / unit,
                x,
                t_x,
                big_t,
            )
            actual = self._holdout_actuals(
                partner_ids.tolist(),
                cal_end + timedelta(days=1),
                today + timedelta(days=1),
            )
            vals.update(
                holdout_days=holdout,
                holdout_predicted=float(predicted.sum()),
                holdout_actual=actual,
                holdout_error=(
                    100.0 * (float(predicted.sum()) - actual) / actual
                    if actual
                    else 0.0
                ),
            )
        self._write_fit(vals, share)

    def _as_prediction_model(self):
        """Parameters in the shape ``tools.profile.predict`` expects."""
        self.ensure_one()
        if self.state != "fitted":
            return {"method": "heuristic", "time_unit": self.time_unit}
        return {
            "method": "model",
            "time_unit": self.time_unit,
            "r": self.r,
            "alpha": self.alpha,
            "a": self.a,
            "b": self.b,
            "p": self.p,
            "q": self.q,
            "gamma": self.gamma,
        }

    @api.model
    def _latest(self, company_ids):
        """Latest usable fit per company id (of every company for None)."""
        domain = [("state", "in", ("fitted", "heuristic"))]
        if company_ids is not None:
            domain.append(("company_id", "in", company_ids))
        models_ = self.sudo().search(domain, order="fit_date desc, id desc")
        latest = {}
        for model in models_:
            latest.setdefault(model.company_id.id, model)
        return latest

    @api.model
    def _latest_fits(self, company_ids):
        """``{company_id: Fit}`` of the latest usable fits.

        Every order confirmation scores its customer with these; they change
        once a week at most, so they are kept per registry (and dropped on
        every change of a fit) instead of being read in each request.
        """
        fits = self._latest_fits_cached()
        return {cid: fits[cid] for cid in company_ids if cid in fits}

    @ormcache()
    def _latest_fits_cached(self):
        # Fits of every company: the caller only receives its own companies'.
        latest = self._latest(None)
        return {
            company_id: Fit(
                model.id, model.state, MappingProxyType(model._as_prediction_model())
            )
            for company_id, model in latest.items()
        }

    def unlink(self):
        # The rights first: whether a fit is in use is nobody else's business.
        self.check_access("unlink")
        if (
            self.env["crm.lifecycle.profile"]
            .sudo()
            .search_count([("purchase_model_id", "in", self.ids)], limit=1)
        ):
            raise UserError(
                self.env._(
                    "This fit produced the current predictions of some customers; "
                    "fit a new model before deleting it."
                )
            )
        return super().unlink()

    def _write_fit(self, vals, share):
        if share < 1.0:
            notes = [
                vals.get("message") or "",
                self.env._(
                    "Fitted on a random sample of %(sample)s customers, about "
                    "%(share)s%% of the company's: above %(limit)s customers a "
                    "sample gives the same parameters to within about 1%% in a "
                    "fraction of the time.",
                    sample=vals["customer_count"],
                    share=round(100 * share, 1),
                    limit=FIT_SAMPLE,
                ),
            ]
            vals["message"] = "\n".join(note for note in notes if note)
        self.write(vals)

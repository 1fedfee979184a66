from array import array
from collections import namedtuple
from datetime import date, timedelta
from types import MappingProxyType

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_date, formatLang, ormcache

from ..bulk_sql import int_array, stream
from ..rpc_guards import ensure_existing
from ..tools import clv
from ..tools.profile import TIME_UNIT_DAYS

PENALIZERS = (0.0, 1e-4, 1e-3, 1e-2)
# Above this many customers a company's fit uses a random sample of about
# this size: a sample of that order gives the parameters close to the full
# fit's, while the full fit's inputs alone take long at a million customers;
# the inputs' time follows the sample's size (figures in docs/BENCHMARKS.md).
FIT_SAMPLE = 100000
# The sample keeps the customers whose hashed id falls below a threshold out
# of this many values: the same customers every time for a given share.
SAMPLE_SCALE = 1 << 20
# Below this share of the customers, a sample's orders are read customer by
# customer through the covering index; above it, by reading every order and
# filtering the hash, which is faster when most customers are in.
SAMPLE_BY_CUSTOMER_BELOW = 0.5
# Earliest date a fit or a run may be computed at: far enough back for any
# sales history, and far from the date arithmetic's lower limit.
MIN_DATE = date(1900, 1, 1)

# What scoring needs of a company's latest fit; cached, so immutable.
Fit = namedtuple("Fit", ["id", "state", "prediction"])
# Days a prediction check looks back: the model is fitted on the orders up to
# then, and its predictions compared with the orders placed since.
CHECK_DAYS = 90


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
        "Orders up to",
        required=True,
        default=fields.Date.context_today,
        help="The model learns from the orders up to this day; later orders "
        "can then check its predictions.",
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
            ("heuristic", "Fallback (too little data)"),
        ],
        default="draft",
        required=True,
        readonly=True,
    )
    # Notes of fits made before message_data: text in the language of
    # whoever (or whichever cron) fitted. Newer fits leave it empty.
    message = fields.Text("Notes as written", readonly=True)
    message_data = fields.Json(
        "Notes data",
        readonly=True,
        help="The fit's notes as codes and values, worded when read, in the "
        "reader's language.",
    )
    message_text = fields.Text("Notes", compute="_compute_message_text")
    summary = fields.Text(compute="_compute_summary")
    holdout_summary = fields.Text(
        "Prediction check in words", compute="_compute_holdout_summary"
    )
    holdout_result = fields.Char("Prediction check", compute="_compute_holdout_summary")
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
    fit_date = fields.Datetime("Fitted on", readonly=True)
    is_check = fields.Boolean(
        "Check on past orders",
        readonly=True,
        help="Fitted on older orders to compare its predictions with what "
        "customers bought since; it makes no prediction.",
    )
    holdout_days = fields.Integer(
        "Days checked",
        readonly=True,
        help="Days between the last order the model learned from and the fit: "
        "zero when it learned from every order, so nothing could check it.",
    )
    holdout_predicted = fields.Float(
        "Predicted repeat orders", digits=(16, 1), readonly=True
    )
    holdout_actual = fields.Integer("Repeat orders placed", readonly=True)
    holdout_error = fields.Float(
        "Prediction error (%)",
        digits=(16, 1),
        readonly=True,
        help="(predicted - actual) / actual over the holdout period; "
        "meaningless, and left at zero, when no day was checked or no repeat "
        "purchase happened.",
    )

    @api.depends("company_id", "calibration_end", "state")
    def _compute_name(self):
        for model in self:
            model.name = self.env._(
                "%(company)s, calibrated to %(date)s",
                company=model.company_id.name,
                date=model.calibration_end,
            )

    @api.depends("company_id", "calibration_end")
    @api.depends_context("lang")
    def _compute_display_name(self):
        # The stored name is in the language of whoever fitted (the nightly
        # run's, for most): screens word it for their reader.
        for model in self:
            model.display_name = self.env._(
                "%(company)s, orders up to %(date)s",
                company=model.company_id.name,
                date=format_date(self.env, model.calibration_end),
            )

    @api.depends("message_data", "message")
    def _compute_message_text(self):
        for model in self:
            if model.message_data:
                model.message_text = "\n".join(
                    model._note_text(code, params or {})
                    for code, params in model.message_data
                )
            else:
                model.message_text = model.message

    def _note_text(self, code, params):
        """Word one note of a fit in the reader's language."""
        _ = self.env._
        if code == "no_orders":
            return _(
                "No confirmed order up to %(date)s: predictions follow each "
                "customer's own rhythm (orders so far, days since the last) "
                "instead of a model.",
                date=format_date(self.env, params.get("date")),
            )
        if code == "too_little_data":
            return _(
                "Too little history for a reliable model (%(customers)s customers, "
                "%(repeaters)s of them bought more than once; at least %(min_c)s "
                "and %(min_r)s are needed): predictions follow each customer's "
                "own rhythm (orders so far, days since the last) instead.",
                **params,
            )
        if code == "penalized":
            return _(
                "Fitted with a small correction that keeps the model away from "
                "extreme values (L2 penalty %(penalizer)s).",
                **params,
            )
        if code == "spend_not_converged":
            return _(
                "The spend model did not converge: predicted value uses each "
                "customer's own average spend."
            )
        if code == "sampled":
            return _(
                "Fitted on a random sample of %(sample)s customers, about "
                "%(share)s%% of the company's: above %(limit)s customers a "
                "sample gives the same parameters to within about 1%% in a "
                "fraction of the time.",
                **params,
            )
        return code

    @api.depends("state", "customer_count", "repeat_customer_count", "calibration_end")
    def _compute_summary(self):
        for model in self:
            if model.state == "fitted":
                model.summary = self.env._(
                    "Learned from the orders of %(customers)s customers up to "
                    "%(date)s, %(repeaters)s of whom bought more than once. It "
                    "predicts how many orders each customer will place and what "
                    "they will spend; the customers' forms show its predictions.",
                    customers=formatLang(self.env, model.customer_count, digits=0),
                    repeaters=formatLang(
                        self.env, model.repeat_customer_count, digits=0
                    ),
                    date=format_date(self.env, model.calibration_end),
                )
            elif model.state == "heuristic":
                model.summary = self.env._(
                    "No model: predictions follow each customer's own rhythm "
                    "(orders so far, days since the last)."
                )
            else:
                model.summary = self.env._("Not fitted yet.")

    @api.depends(
        "state",
        "calibration_end",
        "holdout_days",
        "holdout_predicted",
        "holdout_actual",
    )
    def _compute_holdout_summary(self):
        """How well the fit predicted the days after its last order, in
        words; a fit that learned from every order was not checked, which
        its zero error must not pass for."""
        _ = self.env._
        for model in self:
            if model.state != "fitted":
                model.holdout_summary = model.holdout_result = False
                continue
            if not model.holdout_days:
                model.holdout_result = _("Not checked")
                model.holdout_summary = _(
                    "Not checked: it learned from every order up to %(date)s, so "
                    "no later order is there to compare its predictions with. "
                    "Check on past orders fits a model on the orders up to "
                    "%(days)s days ago and compares its predictions with what "
                    "customers bought since.",
                    date=format_date(self.env, model.calibration_end),
                    days=CHECK_DAYS,
                )
                continue
            predicted = round(model.holdout_predicted)
            actual = model.holdout_actual
            numbers = {
                "days": model.holdout_days,
                "date": format_date(self.env, model.calibration_end),
                "predicted": formatLang(self.env, predicted, digits=0),
                "actual": formatLang(self.env, actual, digits=0),
            }
            if not actual:
                model.holdout_result = _(
                    "Predicted %(predicted)s, actual none", **numbers
                )
                model.holdout_summary = _(
                    "Checked on the %(days)s days after %(date)s: it predicted "
                    "%(predicted)s repeat orders; customers placed none.",
                    **numbers,
                )
                continue
            percent = round(100.0 * (model.holdout_predicted - actual) / actual)
            numbers["percent"] = abs(percent)
            if percent > 0:
                verdict = _("%(percent)s%% too many", **numbers)
            elif percent < 0:
                verdict = _("%(percent)s%% too few", **numbers)
            else:
                verdict = _("on target")
            numbers["verdict"] = verdict
            model.holdout_result = _(
                "Predicted %(predicted)s, actual %(actual)s (%(verdict)s)", **numbers
            )
            model.holdout_summary = _(
                "Checked on the %(days)s days after %(date)s: it predicted "
                "%(predicted)s repeat orders, customers placed %(actual)s "
                "(%(verdict)s).",
                **numbers,
            )

    def _fit_inputs(self, until=None, share=1.0):
        """Per-customer inputs as of the calibration end, as numpy arrays:
        (partner ids, repeat purchases x, days from first to last purchase,
        days from first purchase to the calibration end, repeat spend).

        Orders on the same day count as one purchase, as in the literature.
        The rows stream from a server-side cursor into compact arrays: a
        million customers as Python tuples held far more memory. With a
        ``share`` below 1, only a random sample of about that share of the
        customers (see ``_sampled_inputs``).
        """
        self.ensure_one()
        # The orders and the other channels' documents the facts read.
        self.env["crm.lifecycle.profile"]._flush_facts_inputs()
        end = until or self.calibration_end + timedelta(days=1)
        query = SQL(
            """
            WITH days AS (
                SELECT partner_id, day, SUM(amount) AS amount
                  FROM (%(purchases)s) pu
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
            purchases=self._fit_purchases(end, self._sample_filter(share)),
            cal_end=self.calibration_end,
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
                SELECT COUNT(DISTINCT pu.partner_id) FROM (%s) pu
                """,
                self._fit_purchases(self.calibration_end + timedelta(days=1)),
            )
        )
        return count

    def _fit_purchases(self, end, sample=None):
        """The purchases a fit reads, as rows of ``partner_id`` (the
        commercial partner), ``day`` and ``amount``: the company's confirmed
        orders before ``end`` and the purchases of the other channels
        (``crm.lifecycle.profile._other_purchases``), the same the stages
        count. ``sample`` is a ``_sample_filter`` on the alias ``p``."""
        sample = sample or SQL()
        other = self.env["crm.lifecycle.profile"]._other_purchases(end)
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id,
                   so.date_order::date AS day,
                   so.amount_untaxed
                       / COALESCE(NULLIF(so.currency_rate, 0), 1) AS amount
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.state = 'sale' AND so.company_id = %(company)s
               AND so.date_order < %(end)s
               %(sample)s
            %(other)s
            """,
            company=self.company_id.id,
            end=end,
            sample=sample,
            other=SQL("").join(
                SQL(
                    """
                    UNION ALL
                    SELECT o.partner_id, o.day, o.amount
                      FROM (%s) o
                      JOIN res_partner p ON p.id = o.partner_id
                     WHERE o.state = 'sale' AND o.company_id = %s
                       %s
                    """,
                    source,
                    self.company_id.id,
                    sample,
                )
                for source in other
            ),
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
        every order of every customer, however small the sample. An array of
        a subquery, because the planner then counts on a few customers and
        goes through the indexes; it reckons the hash filter keeps a third of
        everyone.
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
            SELECT COUNT(DISTINCT (pu.partner_id, pu.day))
              FROM (%(purchases)s) pu
             WHERE pu.day >= %(start)s
            """,
            purchases=self._fit_purchases(
                end,
                SQL("AND p.commercial_partner_id = ANY(%s)", int_array(partner_ids)),
            ),
            start=start,
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
            # Notes are stored as codes and values, worded when read
            # (_note_text): the nightly run writes them for every reader.
            "message": False,
            "message_data": [],
        }
        notes = vals["message_data"]
        if not len(partner_ids):
            vals.update(state="heuristic", repeat_customer_count=0)
            notes.append(["no_orders", {"date": str(cal_end)}])
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
            vals["state"] = "heuristic"
            notes.append(
                [
                    "too_little_data",
                    {
                        "customers": len(partner_ids),
                        "repeaters": repeaters,
                        "min_c": clv.MIN_CUSTOMERS,
                        "min_r": clv.MIN_REPEAT_CUSTOMERS,
                    },
                ]
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
        )
        if penalizer:
            notes.append(["penalized", {"penalizer": penalizer}])
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
            notes.append(["spend_not_converged", {}])

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

    def _check_predictions(self, days=CHECK_DAYS):
        """Fit a model of this one's company on the orders up to ``days``
        ago, to compare its predictions with what customers bought since:
        the check a fit of today cannot have. Called by the form's button
        (the server action crm_purchase_model_action_check)."""
        ensure_existing(self)
        self.ensure_one()
        self.check_access("create")
        if not isinstance(days, int) or not 0 < days <= 3650:
            raise UserError(self.env._("A check looks back between 1 and 3650 days."))
        check = self.create(
            {
                "company_id": self.company_id.id,
                "calibration_end": fields.Date.context_today(self)
                - timedelta(days=days),
                "time_unit": self.time_unit,
                "is_check": True,
            }
        )
        check._fit()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Prediction check"),
            "res_model": self._name,
            "res_id": check.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

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
        """Latest usable fit per company id (of every company for None). A
        check on past orders (_check_predictions) never makes predictions:
        it learned from older orders than the fit it checks."""
        domain = [("state", "in", ("fitted", "heuristic")), ("is_check", "=", False)]
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
            vals["message_data"].append(
                [
                    "sampled",
                    {
                        "sample": vals["customer_count"],
                        "share": round(100 * share, 1),
                        "limit": FIT_SAMPLE,
                    },
                ]
            )
        self.write(vals)

from datetime import timedelta
from types import MappingProxyType

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import format_date, formatLang

from odoo.addons.crm_lifecycle.models.crm_purchase_model import Fit
from odoo.addons.crm_lifecycle.tools import profile as profile_tools

from ..tools import backtest, scoring

# Customers replayed per statement: the facts and churn statements of a
# nightly batch, on a past day.
REPLAY_BATCH = 2000


class CrmChurnBacktest(models.Model):
    """How good the churn score was on this company's own customers.

    A backtest replays a past day: every customer's lifecycle profile,
    signals and score from what was known that day only, then compares with
    what happened in the following days (bought again or not). A second,
    earlier replay learns weights and a calibration, which the later one
    checks: nothing is measured on the day it was learned on.
    """

    _name = "crm.churn.backtest"
    _description = "Churn Score Backtest"
    _order = "as_of desc, id desc"
    _check_company_auto = True
    _rec_name = "as_of"

    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
        index=True,
    )
    as_of = fields.Date(
        "Replayed day",
        required=True,
        readonly=True,
        help="The score is replayed as it would have been on this day, from "
        "what was known then, and checked against what customers did in the "
        "following days.",
    )
    fit_day = fields.Date(
        "Learned on",
        readonly=True,
        help="The earlier day whose replay learned the weights and the "
        "calibration this backtest checks.",
    )
    horizon_days = fields.Integer(
        "Days checked",
        required=True,
        readonly=True,
        help="A customer counts as lost when he bought nothing in this many "
        "days after the replayed day.",
    )
    state = fields.Selection(
        [
            ("done", "Measured"),
            ("not_meaningful", "Not meaningful"),
        ],
        readonly=True,
    )
    note_code = fields.Char("Reason code", readonly=True)
    note = fields.Text("Why not meaningful", compute="_compute_note")
    run_date = fields.Datetime("Run on", readonly=True)
    customer_count = fields.Integer("Customers replayed", readonly=True)
    lost_count = fields.Integer(
        "Customers lost",
        readonly=True,
        help="Replayed customers who bought nothing in the days checked.",
    )
    base_rate = fields.Float("Lost (%)", digits=(16, 1), readonly=True)
    auc_score = fields.Float(
        "Churn risk AUC",
        digits=(16, 3),
        readonly=True,
        help="Chance that a customer who was then lost scored higher than one "
        "who bought again: 0.5 is a coin toss, 1 is perfect.",
    )
    auc_prob_alive = fields.Float(
        "Probability alive AUC", digits=(16, 3), readonly=True
    )
    auc_expected = fields.Float("Expected purchases AUC", digits=(16, 3), readonly=True)
    auc_current = fields.Float(
        "AUC of the weights in force", digits=(16, 3), readonly=True
    )
    auc_learned = fields.Float(
        "AUC of the learned weights", digits=(16, 3), readonly=True
    )
    auc_purchase_model = fields.Float(
        "AUC of the purchase model alone",
        digits=(16, 3),
        readonly=True,
        help="The customers ranked by the purchase model's expected purchases "
        "in the next 90 days alone (the signal Few purchases expected).",
    )
    weights_choice = fields.Selection(
        [
            ("current", "The weights in force"),
            ("learned", "The learned weights"),
            ("purchase_model", "The purchase model alone"),
        ],
        "Scores by",
        readonly=True,
        help="Of the weights in force, the weights learned on the earlier day "
        "and the purchase model alone, the one that ranked the customers of "
        "the replayed day best, when it beat the weights in force by half a "
        "point of AUC and the company lets the backtest choose.",
    )
    weights_current = fields.Json("Weights in force", readonly=True)
    weights_learned = fields.Json("Learned weights", readonly=True)
    weights_adopted = fields.Boolean(
        "New weights adopted",
        readonly=True,
        help="The learned weights, or the purchase model alone, ranked the "
        "customers of the replayed day better than the weights in force, and "
        "the company lets the backtest choose.",
    )
    weights_text = fields.Text("Weights in words", compute="_compute_texts")
    calibration = fields.Json("Calibration curve", readonly=True)
    top10_lift = fields.Float("Lift of the top 10%", digits=(16, 2), readonly=True)
    top10_capture = fields.Float(
        "Lost customers in the top 10% (%)", digits=(16, 1), readonly=True
    )
    top20_lift = fields.Float("Lift of the top 20%", digits=(16, 2), readonly=True)
    top20_capture = fields.Float(
        "Lost customers in the top 20% (%)", digits=(16, 1), readonly=True
    )
    alert_threshold = fields.Integer("Alert from (score)", readonly=True)
    alert_count = fields.Integer("Customers alerted", readonly=True)
    alert_precision = fields.Float(
        "Alerts that were right (%)",
        digits=(16, 1),
        readonly=True,
        help="Of the customers who would have been alerted (score at or above "
        "the high-risk threshold), the share who were then lost.",
    )
    alert_lead_days = fields.Integer(
        "Days left to win them back",
        readonly=True,
        help="Median, over the customers who would have been alerted, of the "
        "days they had left before turning Churned (the lifecycle's churned "
        "days after their last order): the time the alert gave to save them.",
    )
    threshold_top10 = fields.Integer("Score of the 10% most at risk", readonly=True)
    flap_rate = fields.Float(
        "Stage changes per customer and year", digits=(16, 2), readonly=True
    )
    flap_data = fields.Json("Stage changes by stage", readonly=True)
    bin_ids = fields.One2many(
        "crm.churn.backtest.bin", "backtest_id", "Calibration", readonly=True
    )
    summary = fields.Text("In words", compute="_compute_texts")

    @api.depends("note_code", "customer_count", "lost_count")
    @api.depends_context("lang")
    def _compute_note(self):
        _ = self.env._
        texts = {
            "too_few_customers": _(
                "Only %(count)s customers bought before the replayed day: a "
                "backtest needs at least %(min)s to say anything."
            ),
            "too_few_churners": _(
                "Too few customers were lost after the replayed day to measure "
                "how well the score finds them."
            ),
            "too_few_buyers": _(
                "Too few customers bought again after the replayed day to "
                "measure how well the score tells them apart."
            ),
        }
        for run in self:
            text = texts.get(run.note_code or "", "")
            run.note = (
                text % {"count": run.customer_count, "min": backtest.MIN_CUSTOMERS}
                if "%(count)s" in text
                else text
            )

    @api.depends(
        "state",
        "auc_score",
        "auc_prob_alive",
        "top10_capture",
        "alert_precision",
        "weights_current",
        "weights_learned",
        "weights_adopted",
        "weights_choice",
        "auc_purchase_model",
        "flap_rate",
        "flap_data",
    )
    @api.depends_context("lang")
    def _compute_texts(self):
        _ = self.env._
        stage_names = dict(
            self.env["res.partner"]
            ._fields["lifecycle_stage"]
            ._description_selection(self.env)
        )
        names = dict(
            self.env["crm.churn.signal"]
            ._fields["code"]
            ._description_selection(self.env)
        )
        for run in self:
            run.weights_text = "\n".join(
                _(
                    "%(signal)s: %(learned)s (in force: %(current)s)",
                    signal=names.get(code, code),
                    learned=round((run.weights_learned or {}).get(code, 0.0)),
                    current=round((run.weights_current or {}).get(code, 0.0)),
                )
                for code in scoring.SIGNALS
                if (run.weights_learned or {}).get(code)
                or (run.weights_current or {}).get(code)
            )
            if run.state != "done":
                run.summary = run.note if run.state else ""
                continue
            lines = [
                _(
                    "On %(day)s, %(count)s customers had bought; %(lost)s%% of "
                    "them bought nothing in the next %(days)s days.",
                    day=format_date(self.env, run.as_of),
                    count=formatLang(self.env, run.customer_count, digits=0),
                    lost=round(run.base_rate),
                    days=run.horizon_days,
                ),
                _(
                    "The churn risk ranks a lost customer above one who came "
                    "back %(auc)s%% of the time (probability alive alone: "
                    "%(alive)s%%, expected purchases alone: %(expected)s%%).",
                    auc=round(100 * run.auc_score),
                    alive=round(100 * run.auc_prob_alive),
                    expected=round(100 * run.auc_expected),
                ),
                _(
                    "The 10%% most at risk held %(capture)s%% of the lost "
                    "customers, %(lift)s times the average.",
                    capture=round(run.top10_capture),
                    lift=round(run.top10_lift, 1),
                ),
                _(
                    "%(count)s customers would have been alerted (score "
                    "%(threshold)s or more, lost customers apart); "
                    "%(precision)s%% of them were then lost, and they had "
                    "%(lead)s days left (median) before turning Churned.",
                    count=formatLang(self.env, run.alert_count, digits=0),
                    threshold=run.alert_threshold,
                    precision=round(run.alert_precision),
                    lead=run.alert_lead_days,
                ),
            ]
            verdicts = {
                "learned": _("the learned weights are adopted."),
                "purchase_model": _(
                    "the score follows the purchase model alone, which ranked best."
                ),
            }
            verdict = verdicts.get(
                run.weights_choice, _("the weights in force are kept.")
            )
            if run.auc_purchase_model:
                lines.append(
                    _(
                        "On the replayed day the weights in force rank at "
                        "%(current)s%%, the weights learned on %(fit_day)s at "
                        "%(learned)s%% and the purchase model alone at "
                        "%(model)s%%: %(verdict)s",
                        current=round(100 * run.auc_current, 1),
                        fit_day=format_date(self.env, run.fit_day),
                        learned=round(100 * run.auc_learned, 1)
                        if run.weights_learned
                        else "-",
                        model=round(100 * run.auc_purchase_model, 1),
                        verdict=verdict,
                    )
                )
            elif run.weights_learned:
                lines.append(
                    _(
                        "Weights learned on %(fit_day)s rank %(learned)s%% "
                        "against %(current)s%% for the weights in force: %(verdict)s",
                        fit_day=format_date(self.env, run.fit_day),
                        learned=round(100 * run.auc_learned),
                        current=round(100 * run.auc_current),
                        verdict=verdict,
                    )
                )
            flaps = sorted(
                (run.flap_data or {}).items(), key=lambda item: -item[1]["moves"]
            )
            parts = [
                _(
                    "%(stage)s (%(moves)s changes, %(customers)s customers)",
                    stage=stage_names.get(stage, stage),
                    moves=formatLang(self.env, item["moves"], digits=0),
                    customers=formatLang(self.env, item["customers"], digits=0),
                )
                for stage, item in flaps[:3]
            ]
            if parts:
                lines.append(
                    _(
                        "In the year before, customers changed stage %(rate)s "
                        "times each on average; most often out of: %(stages)s.",
                        rate=formatLang(self.env, run.flap_rate, digits=2),
                        stages=", ".join(parts),
                    )
                )
            run.summary = "\n".join(lines)

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def action_run_backtest(self):
        """The configuration's button: backtest the current company now."""
        self.check_access("create")
        run = self._run_for(self.env.company)
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    @api.model
    def _cron_backtest(self):
        """Monthly: every company with churn scores gets a backtest of the
        latest day whose outcome is known."""
        companies = self.env["res.company"].search([])
        for done, company in enumerate(companies):
            self._run_for(company)
            self.env["ir.cron"]._notify_progress(
                done=done + 1, remaining=len(companies) - done - 1
            )

    @api.model
    def _run_for(self, company):
        horizon = company.churn_backtest_days
        today = fields.Date.context_today(self)
        # sudo: backtests are written by the system (the cron, or a manager's
        # button, checked by action_run_backtest); nobody edits one.
        run = self.sudo().create(
            {
                "company_id": company.id,
                "as_of": today - timedelta(days=horizon),
                "horizon_days": horizon,
            }
        )
        run._run()
        return run.with_env(self.env)

    def action_alert_top_share(self):
        """Set the high-risk threshold so that the 10% most at risk of the
        replayed day are alerted."""
        self.ensure_one()
        self.check_access("read")
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(
                self.env._("Only sales managers set the churn alert threshold.")
            )
        if self.state != "done" or not self.threshold_top10:
            raise UserError(self.env._("Run a meaningful backtest first."))
        # sudo: the thresholds are the churn configuration sales managers
        # own (as the signal weights); only these two figures are written.
        company = self.company_id.sudo()
        # Between medium and critical, which move up to make room.
        high = min(max(self.threshold_top10, company.churn_medium_threshold + 1), 99)
        company.write(
            {
                "churn_medium_threshold": min(company.churn_medium_threshold, high - 1),
                "churn_high_threshold": high,
                "churn_critical_threshold": max(
                    company.churn_critical_threshold, high + 1
                ),
            }
        )
        return True

    # ------------------------------------------------------------------
    # The replay
    # ------------------------------------------------------------------

    def _run(self):
        """Replay the learning day and the checked day, measure, choose the
        weighting (in force, learned, or the purchase model alone) on the
        checked day, and store it with its calibration."""
        self.ensure_one()
        company = self.company_id
        horizon = self.horizon_days
        fit_day = self.as_of - timedelta(days=horizon)
        checked = self._replay(self.as_of, horizon)
        vals = {
            "run_date": fields.Datetime.now(),
            "fit_day": fit_day,
            "customer_count": len(checked["y"]),
            "lost_count": int(checked["y"].sum()),
        }
        ok, code = backtest.meaningful(
            len(checked["y"]),
            int(checked["y"].sum()),
            int(len(checked["y"]) - checked["y"].sum()),
        )
        if not ok:
            self.write({**vals, "state": "not_meaningful", "note_code": code})
            return
        y = checked["y"]
        current = self.env["crm.churn.risk"]._company_weights(company)
        raw_current = backtest.raw_scores(checked["X"], current)
        vals.update(
            state="done",
            note_code=False,
            base_rate=100.0 * float(y.mean()),
            weights_current=current,
            auc_current=backtest.auc(raw_current, y) or 0.0,
            auc_prob_alive=self._auc_where_known(1.0 - checked["prob_alive"], y),
            auc_expected=self._auc_where_known(-checked["expected"], y),
        )
        candidates = {"current": current}
        raws = {"current": raw_current}
        aucs = {"current": vals["auc_current"]}
        model_column = backtest.signal_column(
            checked["X"], next(iter(backtest.PURCHASE_MODEL_WEIGHTS))
        )
        # Only when the purchase model predicts for every customer: scored
        # alone, a customer without its signal would rank as the safest.
        if not np.isnan(model_column).any():
            model_raw = backtest.raw_scores(
                checked["X"], backtest.PURCHASE_MODEL_WEIGHTS
            )
            vals["auc_purchase_model"] = backtest.auc(model_raw, y) or 0.0
            candidates["purchase_model"] = dict(backtest.PURCHASE_MODEL_WEIGHTS)
            raws["purchase_model"] = model_raw
            aucs["purchase_model"] = vals["auc_purchase_model"]
        learning = self._replay(fit_day, horizon)
        learnable, _code = backtest.meaningful(
            len(learning["y"]),
            int(learning["y"].sum()),
            int(len(learning["y"]) - learning["y"].sum()),
        )
        if learnable:
            learned = backtest.fit_weights(learning["X"], learning["y"])
            if learned.get("weights"):
                learned_raw = backtest.raw_scores(checked["X"], learned["weights"])
                vals.update(
                    weights_learned=learned["weights"],
                    auc_learned=backtest.auc(learned_raw, y) or 0.0,
                )
                candidates["learned"] = learned["weights"]
                raws["learned"] = learned_raw
                aucs["learned"] = vals["auc_learned"]
        choice = "current"
        if company.churn_weights_source == "learned":
            choice = backtest.choose_weighting(aucs)
        weights = candidates[choice]
        # The chosen weighting's scores of the checked day, computed above.
        checked_raw = raws[choice]
        vals.update(weights_choice=choice, weights_adopted=choice != "current")
        if learnable:
            learning_raw = backtest.raw_scores(learning["X"], weights)
            # Measured out of sample: the curve of the earlier day on the
            # later day's customers.
            curve = backtest.fit_calibration(learning_raw, learning["y"])
        else:
            learning_raw, curve = None, backtest.fit_calibration(checked_raw, y)
        probabilities = backtest.calibrate(checked_raw, curve)
        # The curve the nights will use is fitted on both days: the later
        # one is closer to the customers it will score (a young clientele
        # ages: nobody was Dormant on the earlier day), and its outcome is
        # known too.
        if learning_raw is not None:
            production_curve = backtest.fit_calibration(
                np.concatenate([learning_raw, checked_raw]),
                np.concatenate([learning["y"], y]),
            )
        else:
            production_curve = curve
        # Ranked as the list of customers at risk sorts them (the exact
        # score); levels and alerts read the whole percent.
        exact = np.round(100.0 * probabilities, 4)
        scores = np.rint(100.0 * probabilities)
        top10 = backtest.top_share(exact, y, 0.1)
        top20 = backtest.top_share(exact, y, 0.2)
        # Lost customers (Churned) get no alert, as on a night: they are
        # win-back cases. Of the others, those the threshold reaches.
        savable = ~checked["lost"]
        alerted = backtest.precision_above(
            scores[savable], y[savable], company.churn_high_threshold
        )
        reached = savable & (scores >= company.churn_high_threshold)
        # Days each alerted customer had left before turning Churned.
        lead = company.lifecycle_churned_days - checked["silent"][reached]
        vals.update(
            calibration=production_curve,
            auc_score=backtest.auc(exact, y) or 0.0,
            top10_lift=top10["lift"],
            top10_capture=100.0 * top10["capture"],
            top20_lift=top20["lift"],
            top20_capture=100.0 * top20["capture"],
            alert_threshold=company.churn_high_threshold,
            alert_count=alerted["count"],
            alert_precision=100.0 * (alerted["precision"] or 0.0),
            alert_lead_days=int(np.median(lead)) if lead.size else 0,
            threshold_top10=int(backtest.threshold_for_share(scores, 0.1)),
            bin_ids=[
                fields.Command.create(
                    {
                        "bin": row["bin"],
                        "count": row["count"],
                        "predicted": 100.0 * row["predicted"],
                        "observed": 100.0 * row["observed"],
                    }
                )
                for row in backtest.calibration_bins(probabilities, y)
            ],
            **self._flapping(),
        )
        self.write(vals)
        # sudo: the learned weights and the curve are the backtest's output,
        # read by the nightly scoring; no user writes them.
        company.sudo().write(
            {
                "churn_learned_weights": weights
                if vals.get("weights_adopted")
                else company.churn_learned_weights,
                "churn_calibration": {
                    "curve": production_curve,
                    "weights": weights,
                    "backtest_id": self.id,
                },
            }
        )

    @api.model
    def _auc_where_known(self, scores, y):
        """AUC over the customers who have the figure (the purchase model
        predicts nothing for some); 0 when it tells nothing apart."""
        known = ~np.isnan(scores)
        return backtest.auc(scores[known], y[known]) or 0.0 if known.any() else 0.0

    def _replay(self, day, horizon):
        """Every customer of the company as of ``day``: the signal strengths
        of his score then, his probability alive and expected purchases, and
        whether he then bought nothing for ``horizon`` days (1) or bought
        (0), as numpy arrays in the order of the customers."""
        self.ensure_one()
        company = self.company_id
        Profile = self.env["crm.lifecycle.profile"]
        Risk = self.env["crm.churn.risk"]
        self.env.flush_all()
        customers = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """
                    SELECT DISTINCT partner_id FROM crm_lifecycle_purchase
                     WHERE company_id = %s AND day <= %s
                     ORDER BY 1
                    """,
                    company.id,
                    day,
                )
            )
        ]
        bought = {
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """
                    SELECT DISTINCT partner_id FROM crm_lifecycle_purchase
                     WHERE company_id = %s AND day > %s AND day <= %s
                    """,
                    company.id,
                    day,
                    day + timedelta(days=horizon),
                )
            )
        }
        settings = Profile._company_settings(
            [company.id],
            Profile._population_cuts(day, [company.id]),
            self._replay_fit(day),
        )
        strengths, alive, expected, outcome, silent, lost = [], [], [], [], [], []
        for start in range(0, len(customers), REPLAY_BATCH):
            batch = customers[start : start + REPLAY_BATCH]
            facts = [
                fact
                for fact in Profile._fetch_facts(day, batch)
                if fact["company_id"] == company.id
            ]
            rows = profile_tools.evaluate(facts, settings, day)
            by_partner = {row["partner_id"]: row for row in rows}
            for fact in Risk._gather(batch, day, replay=rows):
                if fact["company_id"] != company.id:
                    continue
                row = by_partner[fact["partner_id"]]
                strengths.append(scoring.strengths(fact))
                alive.append(row["prob_alive"])
                expected.append(row["expected_purchases_365"])
                outcome.append(0 if fact["partner_id"] in bought else 1)
                silent.append(fact["days_since_last_order"])
                lost.append(scoring.is_lost(fact["stage"]))
        matrix, _signals = backtest.signal_matrix(strengths)
        return {
            "X": matrix,
            "y": np.array(outcome, dtype=float),
            "prob_alive": np.array(
                [np.nan if v is None else v for v in alive], dtype=float
            ),
            "silent": np.array(silent, dtype=float),
            "lost": np.array(lost, dtype=bool),
            "expected": np.array(
                [np.nan if v is None else v for v in expected], dtype=float
            ),
        }

    def _replay_fit(self, day):
        """The purchase model as it would have been fitted on ``day``: a fit
        kept as a check on past orders (it makes no prediction)."""
        self.ensure_one()
        # sudo: the backtest fits for its company whoever runs it; the fit
        # is a check record, never used for predictions.
        model = (
            self.env["crm.purchase.model"]
            .sudo()
            .create(
                {
                    "company_id": self.company_id.id,
                    "calibration_end": day,
                    "is_check": True,
                }
            )
        )
        model._fit()
        return {
            self.company_id.id: Fit(
                model.id, model.state, MappingProxyType(model._as_prediction_model())
            )
        }

    def _flapping(self):
        """How often customers changed stage in the year before the replayed
        day, per stage they left: a steady customer should not go back and
        forth."""
        self.ensure_one()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT previous_stage, COUNT(*), COUNT(DISTINCT partner_id)
                  FROM crm_lifecycle_stage_history
                 WHERE company_id = %s AND previous_stage IS NOT NULL
                   AND date_start > %s AND date_start <= %s
                 GROUP BY previous_stage
                """,
                self.company_id.id,
                self.as_of - timedelta(days=365),
                self.as_of,
            )
        )
        customers = self.customer_count or 1
        return {
            "flap_rate": sum(moves for _stage, moves, _c in rows) / customers,
            "flap_data": {
                stage: {"moves": moves, "customers": count}
                for stage, moves, count in rows
            },
        }


class CrmChurnBacktestBin(models.Model):
    """One tenth of the replayed customers, by predicted risk: the risk the
    score announced against the share actually lost."""

    _name = "crm.churn.backtest.bin"
    _description = "Churn Backtest Calibration Bin"
    _order = "backtest_id, bin"

    backtest_id = fields.Many2one(
        "crm.churn.backtest", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="backtest_id.company_id", store=True)
    bin = fields.Integer("Tenth", required=True, aggregator=None)
    count = fields.Integer("Customers")
    predicted = fields.Float("Announced risk (%)", digits=(16, 1), aggregator="avg")
    observed = fields.Float("Actually lost (%)", digits=(16, 1), aggregator="avg")

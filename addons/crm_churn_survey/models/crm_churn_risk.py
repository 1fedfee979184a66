from odoo import api, fields, models
from odoo.tools import SQL, format_date

from odoo.addons.crm_lifecycle.bulk_sql import int_array

from ..tools import nps_signals


class CrmChurnRisk(models.Model):
    """The NPS answers of the customers a batch scores, in one query: the
    last two answers of each customer and company known on the day."""

    _inherit = "crm.churn.risk"

    @api.model
    def _add_extra_facts(self, facts, as_of, replay=None):
        facts = super()._add_extra_facts(facts, as_of, replay=replay)
        if not facts:
            return facts
        self.env["crm.nps.answer"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id, company_id, score, date, comment FROM (
                    SELECT a.partner_id, a.company_id, a.score, a.date, a.comment,
                           ROW_NUMBER() OVER (
                               PARTITION BY a.partner_id, a.company_id
                               ORDER BY a.date DESC, a.id DESC) AS rank
                      FROM crm_nps_answer a
                     WHERE a.kind = 'nps'
                       AND a.partner_id = ANY(%(partners)s)
                       AND a.date <= %(as_of)s
                       AND a.date > %(since)s) answers
                 WHERE rank <= 2
                 ORDER BY partner_id, company_id, rank
                """,
                partners=int_array({fact["partner_id"] for fact in facts}),
                as_of=as_of,
                # The previous answer may be older than the window.
                since=fields.Date.subtract(as_of, years=3),
            )
        )
        answers = {}
        for partner_id, company_id, score, day, comment in rows:
            answers.setdefault((partner_id, company_id), []).append(
                (score, day, comment)
            )
        for fact in facts:
            found = nps_signals.nps_signals(
                answers.get((fact["partner_id"], fact["company_id"])), as_of
            )
            if found:
                fact.setdefault("extra_signals", {}).update(found)
        return facts

    def _reason_text(self, code, params, on=None):
        p = dict(params or {})
        if code == "nps_detractor":
            day = format_date(self.env, p.get("date"))
            if p.get("comment"):
                return self.env._(
                    "scored %(score)s out of 10 on %(date)s: %(comment)s",
                    score=p.get("score"),
                    date=day,
                    comment=p["comment"],
                )
            return self.env._(
                "scored %(score)s out of 10 on %(date)s", score=p.get("score"), date=day
            )
        if code == "nps_falling":
            return self.env._(
                "NPS answer fell from %(previous)s to %(score)s out of 10", **p
            )
        return super()._reason_text(code, params, on=on)

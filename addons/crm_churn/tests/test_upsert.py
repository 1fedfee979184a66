from datetime import date
from unittest.mock import patch

from odoo.tools import SQL

from odoo.addons.crm_lifecycle import bulk_sql

from .common import ChurnCommon

# A reason text with everything COPY's text format must escape.
AWKWARD = 'tab\there, new\nline, back\\slash, "quotes", \\N, 流失'


class TestUpsert(ChurnCommon):
    """The nightly runs write their rows through ``bulk_sql.upsert``: a few rows
    as arrays in one statement, a batch through COPY. Both must store the
    same values, escapes, nulls and jsonb included."""

    def _rows(self, partners, score):
        return [
            {
                "partner_id": partner.id,
                "company_id": self.company.id,
                "score": score + index,
                "level": "high" if index % 2 else "low",
                # Not a level: a plain text column, to carry the escapes.
                "previous_level": None if index % 2 else AWKWARD,
                "score_change": -index,
                "history_score": None,
                "reason_data": [["overdue", {"note": AWKWARD, "days": 120.5}]],
                "strengths": {"overdue": 0.25, "none": None},
                "alert_pending": bool(index % 2),
                "alert_pending_since": date(2026, 6, 1) if index % 2 else None,
                "scored_on": date(2026, 6, 15),
            }
            for index, partner in enumerate(partners)
        ]

    def _stored(self, partners):
        Risk = self.env["crm.churn.risk"]
        Risk.flush_model()
        return self.env.execute_query(
            SQL(
                """
                SELECT partner_id, score, level, previous_level, score_change,
                       history_score, reason_data, strengths, alert_pending,
                       alert_pending_since, scored_on, write_uid
                  FROM crm_churn_risk WHERE partner_id = ANY(%s)
                 ORDER BY partner_id
                """,
                partners.ids,
            )
        )

    def test_both_ways_store_the_same_rows(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Upsert customer {i}"} for i in range(4)]
        )
        Risk = self.env["crm.churn.risk"]
        # Arrays in one statement
        Risk._write_rows(self._rows(partners, 10))
        by_statement = self._stored(partners)
        Risk.search([("partner_id", "in", partners.ids)]).unlink()
        # COPY into a temporary table, then one upsert
        with patch.object(bulk_sql, "COPY_FROM_ROWS", 1):
            Risk._write_rows(self._rows(partners, 10))
        by_copy = self._stored(partners)
        self.assertEqual(len(by_copy), 4)
        self.assertEqual(by_copy, by_statement)
        reason = by_copy[0][6]
        self.assertEqual(reason, [["overdue", {"note": AWKWARD, "days": 120.5}]])
        self.assertEqual(by_copy[0][3], AWKWARD)
        self.assertEqual(by_copy[1][3], None)
        self.assertEqual(by_copy[1][9], date(2026, 6, 1))
        # Again through COPY: the same rows are updated, not duplicated, and
        # the temporary table of the first batch is gone.
        with patch.object(bulk_sql, "COPY_FROM_ROWS", 1):
            Risk._write_rows(self._rows(partners, 50))
        again = self._stored(partners)
        self.assertEqual([row[1] for row in again], [50, 51, 52, 53])
        self.assertEqual({row[11] for row in again}, {self.env.uid})
        self.assertEqual(Risk.search_count([("partner_id", "in", partners.ids)]), 4)

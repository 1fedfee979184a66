from odoo.tests import TransactionCase
from odoo.tools import SQL

from odoo.addons.crm_lifecycle import bulk_sql


class TestBulkSql(TransactionCase):
    """The id filters of the nightly statements: one array literal each,
    selecting exactly the rows asked for."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls.env["res.partner"].create(
            [{"name": f"Bulk SQL customer {number}"} for number in range(5)]
        )

    def _ids(self, condition):
        return [
            row[0]
            for row in self.env.execute_query(
                SQL("SELECT id FROM res_partner WHERE %s ORDER BY id", condition)
            )
        ]

    def _text(self, sql):
        return self.env.cr.mogrify(sql.code, sql.params).decode()

    def test_int_array_selects_exactly_the_ids(self):
        chosen = self.partners[1:4]
        condition = SQL("id = ANY(%s)", bulk_sql.int_array(chosen.ids))
        self.assertEqual(self._ids(condition), sorted(chosen.ids))
        empty = SQL("id = ANY(%s)", bulk_sql.int_array([]))
        self.assertEqual(self._ids(empty), [])
        # A generator is taken as well as a list (the callers pass both).
        condition = SQL("id = ANY(%s)", bulk_sql.int_array(p.id for p in chosen))
        self.assertEqual(self._ids(condition), sorted(chosen.ids))

    def test_int_array_is_one_literal(self):
        """Not psycopg2's ARRAY[...] of one constant per id: PostgreSQL
        parses and folds each of those while planning, for every place a
        batch's ids appear in a statement."""
        text = self._text(bulk_sql.int_array([3, 1, 2]))
        self.assertEqual(text, "'{3,1,2}'::int4[]")
        filtered = self._text(
            bulk_sql.ids_filter(SQL.identifier("id"), self.partners.ids)
        )
        self.assertNotIn("ARRAY[", filtered)

    def test_int_array_takes_integers_only(self):
        with self.assertRaises(ValueError):
            bulk_sql.int_array([1, "2}'; DROP TABLE res_partner; --"])

    def test_ids_filter_and_pair_filter_select_their_rows(self):
        chosen = self.partners[:2] | self.partners[4:]
        condition = bulk_sql.ids_filter(SQL.identifier("id"), chosen.ids)
        self.assertEqual(self._ids(condition), sorted(chosen.ids))
        company = self.env.company.id
        pairs = [(partner.id, company) for partner in chosen]
        rows = self.env.execute_query(
            SQL(
                "SELECT t.partner_id FROM (SELECT id AS partner_id, %s AS company_id"
                " FROM res_partner) t WHERE %s ORDER BY 1",
                company,
                bulk_sql.pair_filter("t", pairs),
            )
        )
        self.assertEqual([row[0] for row in rows], sorted(chosen.ids))
        self.assertNotIn("ARRAY[", self._text(bulk_sql.pair_filter("t", pairs)))
        other = self.env["res.company"].create({"name": "Bulk SQL other company"})
        rows = self.env.execute_query(
            SQL(
                "SELECT t.partner_id FROM (SELECT id AS partner_id, %s AS company_id"
                " FROM res_partner) t WHERE %s",
                other.id,
                bulk_sql.pair_filter("t", pairs),
            )
        )
        self.assertEqual(rows, [], "the pairs of another company select nothing")

from odoo import api, models
from odoo.tools import SQL

from ..bulk_sql import pair_filter, upsert


class CrmLifecycleSnapshotMixin(models.AbstractModel):
    """One row per customer and company, rewritten only when it moved, and
    mirrored on the partner: how the nightly steps store what they compute.

    A model configures it by class attributes: the columns a batch writes,
    those whose change justifies a rewrite, and the partner's
    company-dependent fields that mirror some of them (searchable and
    groupable on the customer). The writes bypass the ORM: a night writes
    hundreds of thousands of rows. An automation rule sees the changes
    through the histories the steps write with the ORM (stage, segment,
    risk), not through these rows.
    """

    _name = "crm.lifecycle.snapshot.mixin"
    _description = "Customer Snapshot"

    # (column, SQL type) written by a batch, after partner_id and company_id.
    _snapshot_columns = ()
    # The columns compared to tell a row that moved; empty: all of them.
    _snapshot_compared = ()
    # (partner field, row key, SQL type): the company-dependent fields of
    # res.partner that hold a copy of the row's value, per company.
    _snapshot_mirror = ()

    @api.model
    def _write_rows(self, rows, also=None):
        """UPSERT the rows (dicts) and return how many were written: a row
        equal in every compared column to the stored one is left alone.
        ``also``, a data-modifying statement, runs in the same statement."""
        compared = self._snapshot_compared or tuple(
            name for name, _type in self._snapshot_columns
        )
        return upsert(
            self.env,
            self._table,
            self._snapshot_columns,
            rows,
            also=also,
            unless_same=compared,
        )

    @api.model
    def _delete_rows(self, keys):
        """Delete the rows of these ``(partner_id, company_id)`` keys."""
        if not keys:
            return
        # Filtered, not joined with the list: see pair_filter.
        self.env.execute_query(
            SQL(
                "DELETE FROM %s r WHERE %s",
                SQL.identifier(self._table),
                pair_filter("r", keys),
            )
        )

    @api.model
    def _partner_mirror_query(self, rows, gone=()):
        """The statement writing these rows' mirrored values on res_partner,
        and clearing those of the ``gone`` keys (empty SQL if none).

        Partners whose mirror already holds the values are not rewritten:
        res_partner carries dozens of indexes, and a usual night moves few
        mirrored values.
        """
        if not self._snapshot_mirror or not (rows or gone):
            return SQL()
        mirror = self._snapshot_mirror
        self.env["res.partner"].flush_model([field for field, _key, _type in mirror])
        keys = [(row["partner_id"], row["company_id"]) for row in rows] + list(gone)
        arrays = [
            SQL("%s::int[]", [key[0] for key in keys]),
            SQL("%s::int[]", [key[1] for key in keys]),
        ] + [
            SQL(
                "%s::%s[]",
                [row[row_key] for row in rows] + [None] * len(gone),
                SQL(col_type),
            )
            for _field, row_key, col_type in mirror
        ]
        names = [SQL.identifier(f"v{index}") for index in range(len(mirror))]
        merged = [
            SQL("COALESCE(p.%s, '{}') || agg.%s", SQL.identifier(field), name)
            for (field, _key, _type), name in zip(mirror, names, strict=True)
        ]
        return SQL(
            """
            WITH v AS (
                SELECT * FROM unnest(%(arrays)s) AS v(partner_id, company_id, %(names)s)
            ), agg AS (
                SELECT partner_id, %(aggregates)s FROM v GROUP BY partner_id
            )
            UPDATE res_partner p
               SET %(sets)s
              FROM agg
             WHERE p.id = agg.partner_id AND (%(moved)s)
            """,
            arrays=SQL(", ").join(arrays),
            names=SQL(", ").join(names),
            aggregates=SQL(", ").join(
                SQL("jsonb_object_agg(company_id::text, %s) AS %s", name, name)
                for name in names
            ),
            sets=SQL(", ").join(
                SQL("%s = %s", SQL.identifier(field), value)
                for (field, _key, _type), value in zip(mirror, merged, strict=True)
            ),
            moved=SQL(" OR ").join(
                SQL("%s IS DISTINCT FROM p.%s", value, SQL.identifier(field))
                for (field, _key, _type), value in zip(mirror, merged, strict=True)
            ),
        )

    @api.model
    def _write_partner_mirror(self, rows, gone=()):
        query = self._partner_mirror_query(rows, gone)
        if query:
            self.env.execute_query(query)
            self._invalidate_partner_mirror()

    @api.model
    def _invalidate_partner_mirror(self):
        self.env["res.partner"].invalidate_model(
            [field for field, _key, _type in self._snapshot_mirror]
        )

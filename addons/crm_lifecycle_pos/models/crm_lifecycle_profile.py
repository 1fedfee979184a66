from odoo import api, models
from odoo.tools import SQL

# The states of a POS order that its customer paid for.
PAID_STATES = ("paid", "done", "invoiced")
# Context key of the uninstall hook: the purchase view is rebuilt without
# the till (see hooks.py).
WITHOUT_POS = "crm_lifecycle_pos_uninstalling"


class CrmLifecycleProfile(models.Model):
    _inherit = "crm.lifecycle.profile"

    @api.model
    def _other_purchases(self, until, partner_ids=None):
        if self.env.context.get(WITHOUT_POS):
            return super()._other_purchases(until, partner_ids)
        return super()._other_purchases(until, partner_ids) + [
            self._pos_orders(until, partner_ids, refunds=False)
        ]

    @api.model
    def _other_refunds(self, until, partner_ids=None):
        if self.env.context.get(WITHOUT_POS):
            return super()._other_refunds(until, partner_ids)
        return super()._other_refunds(until, partner_ids) + [
            self._pos_orders(until, partner_ids, refunds=True)
        ]

    @api.model
    def _pos_orders(self, until, partner_ids=None, refunds=False):
        """The paid POS orders of customers (or, with ``refunds``, the POS
        refunds) in the companies that count them, one row per order, for
        the untaxed amount of its lines in the company's currency.

        A line that settles a sale order (``pos_sale``) is that order's,
        already counted: an order made only of such lines is no purchase.
        An invoiced POS order is counted here, its invoice or credit note
        is not (``_is_direct_invoice``, ``_counted_refund``).
        """
        Line = self.env["pos.order.line"]
        not_settled = (
            SQL("AND l.sale_order_origin_id IS NULL")
            if "sale_order_origin_id" in Line._fields
            else SQL()
        )
        partner_filter = (
            SQL("AND p.commercial_partner_id = ANY(%s)", self._ids_array(partner_ids))
            if partner_ids is not None
            else SQL()
        )
        amount = SQL("SUM(l.price_subtotal) / COALESCE(NULLIF(po.currency_rate, 0), 1)")
        columns = (
            SQL("po.date_order::date AS day, %s AS amount", amount)
            if refunds
            else SQL(
                "'sale'::varchar AS state, po.date_order::date AS day,"
                " %s AS amount, NULL::numeric AS margin",
                amount,
            )
        )
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id, po.company_id, %(columns)s
              FROM pos_order po
              JOIN res_company rc ON rc.id = po.company_id AND rc.lifecycle_count_pos
              JOIN res_partner p ON p.id = po.partner_id
              JOIN pos_order_line l ON l.order_id = po.id %(not_settled)s
             WHERE po.state IN %(states)s
               AND po.date_order < %(until)s
               %(partner_filter)s
             GROUP BY po.id, p.commercial_partner_id
            HAVING SUM(l.price_subtotal) %(sign)s 0
            """,
            columns=columns,
            not_settled=not_settled,
            states=PAID_STATES,
            until=until,
            partner_filter=partner_filter,
            sign=SQL("<") if refunds else SQL(">"),
        )

    @api.model
    def _is_direct_invoice(self, alias):
        # The invoice of a POS order is that order's, counted as such.
        if self.env.context.get(WITHOUT_POS):
            return super()._is_direct_invoice(alias)
        return SQL(
            "%s AND NOT EXISTS (SELECT 1 FROM pos_order po"
            " WHERE po.account_move = %s.id)",
            super()._is_direct_invoice(alias),
            SQL.identifier(alias),
        )

    @api.model
    def _counted_refund(self, alias):
        # The credit note of a POS refund is that refund's, counted as such.
        if self.env.context.get(WITHOUT_POS):
            return super()._counted_refund(alias)
        return SQL(
            "%s AND NOT EXISTS (SELECT 1 FROM pos_order po"
            " WHERE po.account_move = %s.id)",
            super()._counted_refund(alias),
            SQL.identifier(alias),
        )

    def _flush_facts_inputs(self):
        res = super()._flush_facts_inputs()
        self.env["res.company"].flush_model(["lifecycle_count_pos"])
        self.env["pos.order"].flush_model(
            [
                "state",
                "date_order",
                "partner_id",
                "company_id",
                "currency_rate",
                "account_move",
            ]
        )
        self.env["pos.order.line"].flush_model()
        return res

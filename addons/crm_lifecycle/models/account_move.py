from odoo import models
from odoo.tools import create_index

# Partial indexes of customer moves by commercial partner, a column Odoo does
# not index (name, columns, where); see AccountMove._lifecycle_indexes.
LIFECYCLE_MOVE_INDEXES = (
    # The lifecycle facts (every nightly batch, every order confirmation)
    # sum a customer's posted credit notes: without this index every lookup
    # reads all the posted credit notes of the database. Partial: credit
    # notes are a small share of the moves.
    (
        "account_move_crm_lifecycle_refund_idx",
        ["commercial_partner_id"],
        "move_type = 'out_refund' AND state = 'posted'",
    ),
    # The same for the invoices a customer was sent, read for those no sale
    # order produced (crm.lifecycle.profile._direct_invoice_purchases).
    (
        "account_move_crm_lifecycle_invoice_idx",
        ["commercial_partner_id"],
        "move_type = 'out_invoice' AND state = 'posted'",
    ),
)


class AccountMove(models.Model):
    _inherit = "account.move"

    def init(self):
        res = super().init()
        for name, columns, where in self._lifecycle_indexes():
            create_index(self.env.cr, name, self._table, columns, where=where)
        return res

    def _lifecycle_indexes(self):
        """Hook: the indexes (name, columns, where) created on the moves'
        table when a module extending account.move is installed or updated;
        an existing index of the same name is left as it is.

        Here, those the lifecycle's own queries need
        (``LIFECYCLE_MOVE_INDEXES``). An addon whose queries need another
        returns ``super()``'s list plus its own, and drops it in its own
        uninstall hook: crm_lifecycle's drops only its own.
        """
        return list(LIFECYCLE_MOVE_INDEXES)

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._lifecycle_refresh()
        return posted

    def button_draft(self):
        res = super().button_draft()
        self._lifecycle_refresh()
        return res

    def _lifecycle_refresh(self):
        """Refresh the customers of these customer invoices and credit notes,
        or queue them for the cron, like a confirmed order does
        (sale.order._lifecycle_refresh): an invoice without a sale order is a
        purchase, and a credit note reduces what the customer bought.

        Runs as superuser for the same reason as the order's: profiles,
        histories and the queue are derived data that the accountant posting
        the invoice does not write; the customers touched are exactly those
        of the moves the user was allowed to post or reset.
        """
        moves = self.filtered(
            lambda move: (
                move.move_type in ("out_invoice", "out_refund") and move.partner_id
            )
        )
        if not moves:
            return
        queued = moves.filtered(
            lambda move: move.company_id.lifecycle_refresh_on_order == "queue"
        )
        if queued:
            self.env["crm.lifecycle.refresh.queue"].sudo()._enqueue(queued)
        now = moves - queued
        if now:
            Profile = self.env["crm.lifecycle.profile"].sudo()
            Profile._refresh_partners(Profile._customers_of(now.partner_id.ids))

from odoo import models
from odoo.tools import SQL

# The covering index of orders by customer (SaleOrder._lifecycle_facts_index)
# and the columns the lifecycle facts, the RFM cut points and the
# purchase-model fit read from a customer's orders. An addon whose own
# readers go through this index adds its columns with
# _lifecycle_facts_index_includes.
FACTS_INDEX = "sale_order_crm_lifecycle_facts_idx"
FACTS_COLUMNS = ("company_id", "state", "date_order", "amount_untaxed", "currency_rate")


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def init(self):
        res = super().init()
        self._lifecycle_facts_index()
        return res

    def _lifecycle_facts_index(self):
        """A covering index of orders by customer, for index-only scans.

        A nightly batch reads the orders of 5,000 consecutive customers. The
        orders of one customer lie scattered over years of the table, so
        through ``partner_id``'s own index every order costs a page of the
        table: about 50,000 pages a batch, which stop fitting in PostgreSQL's
        buffers once the table has millions of rows. This index holds the
        columns those readers need (``_lifecycle_facts_index_includes``),
        ordered by customer, so a batch reads a few hundred index pages
        instead. This method runs whenever a module extending sale.order is
        installed or updated, so installing ``sale_margin`` (or an addon that
        adds columns) later rebuilds it; and at the start of each nightly
        run, because uninstalling ``sale_margin`` drops the index with the
        column.
        """
        columns = list(dict.fromkeys(self._lifecycle_facts_index_includes()))
        if set(self._lifecycle_facts_index_columns()) == {"partner_id", *columns}:
            return
        self.env.execute_query(
            SQL("DROP INDEX IF EXISTS %s", SQL.identifier(FACTS_INDEX))
        )
        self.env.execute_query(
            SQL(
                "CREATE INDEX %s ON %s (partner_id) INCLUDE (%s)",
                SQL.identifier(FACTS_INDEX),
                SQL.identifier(self._table),
                SQL(", ").join(SQL.identifier(column) for column in columns),
            )
        )

    def _lifecycle_facts_index_includes(self):
        """Hook: the columns the facts index holds besides ``partner_id``,
        in order (repeats are dropped).

        Here, what the lifecycle's own readers need: ``FACTS_COLUMNS``, and
        ``margin`` when ``sale_margin`` stores it. An addon whose queries
        read a batch's orders through this index returns ``super()``'s list
        plus the stored columns those queries read; the index is rebuilt
        when that addon is installed or updated, and by the next nightly run.
        """
        columns = list(FACTS_COLUMNS)
        if "margin" in self._fields and self._fields["margin"].store:
            columns.append("margin")
        return columns

    def _lifecycle_facts_index_columns(self):
        """The columns of the facts index as it is, in index order; none
        when it is missing."""
        [(columns,)] = self.env.execute_query(
            SQL(
                """
                SELECT ARRAY(
                    SELECT a.attname::text
                      FROM pg_index i
                      JOIN pg_attribute a
                        ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                     WHERE i.indexrelid = to_regclass(%s)
                     ORDER BY array_position(i.indkey, a.attnum)
                )
                """,
                FACTS_INDEX,
            )
        )
        return columns

    def _action_confirm(self):
        res = super()._action_confirm()
        self._lifecycle_refresh()
        return res

    def _action_cancel(self):
        res = super()._action_cancel()
        self._lifecycle_refresh()
        return res

    def _lifecycle_refresh(self):
        """Refresh these orders' customers, or queue them for the cron.

        Runs as superuser because profiles, histories and the queue are
        derived data that salespeople may read (the profiles) but not write;
        the customers touched are exactly those of the orders the user was
        allowed to confirm or cancel.
        """
        orders = self.filtered("partner_id")
        queued = orders._lifecycle_queued()
        if queued:
            self.env["crm.lifecycle.refresh.queue"].sudo()._enqueue(queued)
        now = orders - queued
        if now:
            Profile = self.env["crm.lifecycle.profile"].sudo()
            Profile._refresh_partners(Profile._customers_of(now.partner_id.ids))

    def _lifecycle_queued(self):
        """The orders whose company updates their customers in the
        background (``lifecycle_refresh_on_order``)."""
        return self.filtered(
            lambda order: order.company_id.lifecycle_refresh_on_order == "queue"
        )

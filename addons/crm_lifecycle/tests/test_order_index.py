from ..models.sale_order import FACTS_COLUMNS, FACTS_INDEX
from .common import TODAY, LifecycleCommon, order_scans

INDEX_ONLY = f"Index Only Scan using {FACTS_INDEX} on sale_order"


class TestOrderIndex(LifecycleCommon):
    """The covering index of orders by customer serves the batch readers
    alone: if one of them starts reading a column the index lacks, every
    order costs a page of the table again (see SaleOrder._lifecycle_facts_index)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls._customer("Index A", [10, 40]) | cls._customer(
            "Index B", [5]
        )

    def _index_columns(self):
        return self.env["sale.order"]._lifecycle_facts_index_columns()

    def test_index_holds_the_columns_the_readers_need(self):
        self.assertEqual(self._index_columns(), ["partner_id", *FACTS_COLUMNS])

    def test_index_rebuilt_when_its_columns_differ(self):
        """What happens when sale_margin adds its stored margin after the
        suite: the index no longer matches and the next init rebuilds it."""
        self.env.cr.execute(f"DROP INDEX {FACTS_INDEX}")
        self.env.cr.execute(
            f"CREATE INDEX {FACTS_INDEX} ON sale_order (partner_id) INCLUDE (state)"
        )
        self.env["sale.order"]._lifecycle_facts_index()
        self.assertEqual(self._index_columns(), ["partner_id", *FACTS_COLUMNS])
        self.env.cr.execute(f"DROP INDEX {FACTS_INDEX}")
        self.env["sale.order"]._lifecycle_facts_index()
        self.assertEqual(self._index_columns(), ["partner_id", *FACTS_COLUMNS])

    def test_nightly_run_puts_a_dropped_index_back(self):
        """Uninstalling sale_margin drops its column and the index with it;
        the next run's preparation rebuilds the index."""
        self.env.cr.execute(f"DROP INDEX {FACTS_INDEX}")
        self.assertEqual(self._index_columns(), [])
        self._recompute()
        self.assertEqual(self._index_columns(), ["partner_id", *FACTS_COLUMNS])

    def test_batch_facts_read_orders_from_the_index_alone(self):
        for partner_ids in (
            self.customers.ids,
            self.Profile._customers_of(self.customers.ids),
        ):
            scans = order_scans(self.env, self.Profile._facts_query(TODAY, partner_ids))
            self.assertTrue(scans)
            for scan in scans:
                self.assertIn(INDEX_ONLY, scan)

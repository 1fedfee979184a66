import logging
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from odoo.addons.crm_lifecycle.models.sale_order import SaleOrder as LifecycleOrder
from odoo.addons.crm_loyalty.models.loyalty_card import LoyaltyCard
from odoo.addons.crm_loyalty.models.sale_order import SaleOrder as LoyaltyOrder
from odoo.addons.crm_loyalty.models.sale_order_line import (
    SaleOrderLine as LoyaltyOrderLine,
)

from ..models.sale_order import SaleOrder as ChurnOrder
from .common import ChurnCommon

# SQL queries the suite adds to one order confirmation of a loyalty member
# (the customer queued for the lifecycle cron, which also upgrades the tier
# and checks the churn alerts; the order's posted keys and the ledger's entry
# with its lot in one statement), against the same
# confirmation with every override of the suite on its path bypassed (Odoo's
# sale_loyalty alone, writing the card's balance itself), and the whole
# confirmation with the suite. Issue 5 targets +5; these pin what is reached
# so that it cannot grow unnoticed (see docs/BENCHMARKS.md for the same
# figure on 10k customers).
SUITE_EXTRA_QUERIES = 3
CONFIRMATION_QUERIES = 19
# Where the company updates its customers as the order is confirmed: the
# refresh's facts and upsert, the tier upgrade and the won-back check instead
# of the queue.
CONFIRMATION_QUERIES_AT_ONCE = 20

_logger = logging.getLogger(__name__)


def _bypass(cls, name):
    def skip(self, *args, **kwargs):
        return getattr(super(cls, self), name)(*args, **kwargs)

    return patch.object(cls, name, skip)


@tagged("post_install", "-at_install")
class TestConfirmationCost(ChurnCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Cost customer", cls.salesman, monthly_until=40)
        cls.partners = cls.customer
        cls.env["crm.lifecycle.profile"]._refresh_partners(cls.customer.ids)
        # A member of a points program with tiers: the confirmation earns
        # points (entry, lot) and may upgrade the tier. Other programs (demo
        # data, earlier RPC tests) would add their own cards to the count.
        cls.env["loyalty.program"].search([]).write({"active": False})
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "Cost points",
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "rule_ids": [
                    Command.create(
                        {"reward_point_mode": "money", "reward_point_amount": 1}
                    )
                ],
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount_mode": "per_order",
                            "discount": 5,
                            "required_points": 100000,
                        }
                    )
                ],
            }
        )
        cls.card = cls.env["loyalty.card"].create(
            {"program_id": cls.program.id, "partner_id": cls.customer.id}
        )
        cls.env["crm.loyalty.tier"].search([]).unlink()
        cls.env["crm.loyalty.tier"].create(
            [
                {
                    "name": "Cost silver",
                    "threshold": 100000,
                    "retention_threshold": 100000,
                    "multiplier": 2,
                },
                {
                    "name": "Cost gold",
                    "threshold": 200000,
                    "retention_threshold": 200000,
                    "multiplier": 3,
                },
            ]
        )

    def _draft_order(self):
        """A one-line quotation of the member, written to the database."""
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "price_unit": 50})
                ],
            }
        )
        self.env.flush_all()
        return order

    def _confirm_within(self, queries):
        """Confirm a new quotation in at most ``queries`` queries."""
        order = self._draft_order()
        with self.assertQueryCount(__system__=queries):
            order.action_confirm()
            self.env.flush_all()

    def _confirm_queries(self, cold=False):
        """Queries of one confirmation; ``cold``, from an empty ORM cache,
        as a confirmation request starts."""
        order = self._draft_order()
        if cold:
            self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        order.action_confirm()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_confirmation_query_count(self):
        self._confirm_queries()  # warm the caches and the profile
        entries = self.env["crm.loyalty.entry"].search_count(
            [("card_id", "=", self.card.id)]
        )
        self._confirm_within(CONFIRMATION_QUERIES)
        # The hooks did their work: points earned (the customer is queued
        # for the lifecycle cron).
        self.assertEqual(
            self.env["crm.loyalty.entry"].search_count(
                [("card_id", "=", self.card.id)]
            ),
            entries + 1,
        )
        self.assertEqual(self.card.points, 100.0)

    def test_confirmation_query_count_at_once(self):
        self.company.lifecycle_refresh_on_order = "confirm"
        queued = self.env["crm.lifecycle.refresh.queue"].search_count([])
        self._confirm_queries()  # warm the caches and the profile
        self._confirm_within(CONFIRMATION_QUERIES_AT_ONCE)
        self.assertEqual(
            self.env["crm.lifecycle.refresh.queue"].search_count([]), queued
        )

    def test_suite_overhead_on_confirmation(self):
        self._check_overhead(cold=False)

    def test_suite_overhead_from_an_empty_cache(self):
        """The member's tier and birthdate ride in the statement that reads
        the order's posted keys: from an empty cache too, the suite stays
        within its budget of queries."""
        self._check_overhead(cold=True)

    def _check_overhead(self, cold):
        self._confirm_queries()  # warm the caches and the profile
        with_suite = self._confirm_queries(cold)
        with (
            _bypass(ChurnOrder, "_action_confirm"),
            _bypass(LifecycleOrder, "_action_confirm"),
            _bypass(LoyaltyOrder, "_action_confirm"),
            _bypass(LoyaltyOrder, "action_confirm"),
            _bypass(LoyaltyOrderLine, "create"),
            _bypass(LoyaltyOrderLine, "write"),
            _bypass(LoyaltyCard, "create"),
            _bypass(LoyaltyCard, "write"),
        ):
            self._confirm_queries()
            stock = self._confirm_queries(cold)
        _logger.info(
            "Order confirmation%s: %s queries with the suite, %s with its hooks "
            "bypassed",
            " from an empty cache" if cold else "",
            with_suite,
            stock,
        )
        self.assertLessEqual(with_suite - stock, SUITE_EXTRA_QUERIES)
        self.assertGreater(with_suite, stock, "the hooks did run")
        with _bypass(ChurnOrder, "_action_confirm"):
            without_churn = self._confirm_queries(cold)
        # The won-back check is the queue cron's: no query in the
        # confirmation, even from an empty cache.
        self.assertEqual(with_suite - without_churn, 0)

    def test_won_back_check_at_once_costs_the_flag(self):
        """Where the company updates its customers as the order is
        confirmed, the won-back check costs no query when the customer has
        no open alert and the flag is in the cache; from an empty cache, the
        one that reads the flag."""
        self.company.lifecycle_refresh_on_order = "confirm"
        self._confirm_queries()  # warm the caches and the profile
        for cold in (False, True):
            with_churn = self._confirm_queries(cold)
            with _bypass(ChurnOrder, "_action_confirm"):
                without_churn = self._confirm_queries(cold)
            self.assertEqual(with_churn - without_churn, 1 if cold else 0)

from odoo.tests import Form, freeze_time, tagged

from ..models.crm_lifecycle_refresh_queue import CRON_XMLID
from .common import TODAY, LifecycleCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestRefreshQueue(LifecycleCommon):
    """Companies that update their customers in the background (the
    default): a confirmation queues the customer and triggers the cron,
    which refreshes the customer moments later."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Queue = cls.env["crm.lifecycle.refresh.queue"]
        cls.cron = cls.env.ref(CRON_XMLID)
        # The demo's confirmations left the cron due (no cron worker ran).
        cls.env["ir.cron.trigger"].search([("cron_id", "=", cls.cron.id)]).unlink()

    def _queued(self):
        return {(row.partner_id, row.company_id) for row in self.Queue.search([])}

    def _triggers(self):
        return self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.cron.id)]
        )

    def _process(self):
        """The cron's calls, until the queue is empty."""
        for _call in range(10):
            self.Queue._cron_process()
            if not self.Queue.search_count([]):
                return
        self.fail("the queue does not empty")

    def test_background_is_the_default(self):
        self.assertEqual(self.company.lifecycle_refresh_on_order, "queue")

    def test_confirmation_queues_and_the_cron_refreshes(self):
        partner = self._customer("Queued", [])
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": partner.id}
        )
        order = self._order(contact, TODAY, state="draft")
        triggers = self._triggers()
        order.action_confirm()
        # The order is confirmed; its partner waits for the cron, which is
        # woken, and refreshes the customer (the commercial partner, not the
        # contact).
        self.assertEqual(order.state, "sale")
        self.assertFalse(self._profile(partner))
        self.assertFalse(partner.lifecycle_stage)
        self.assertEqual(self._queued(), {(contact, self.company)})
        self.assertEqual(self._triggers(), triggers + 1)
        self._process()
        self.assertFalse(self._profile(contact))
        self.assertEqual(partner.lifecycle_stage, "new")
        self.assertEqual(self._profile(partner).order_count, 1)
        self.assertEqual(
            self.env["crm.lifecycle.stage.history"].search_count(
                [("partner_id", "=", partner.id), ("stage", "=", "new")]
            ),
            1,
        )
        self.assertFalse(self._queued())
        # Cancelling queues the order's partner again.
        order._action_cancel()
        self.assertEqual(partner.lifecycle_stage, "new")
        self.assertEqual(self._queued(), {(contact, self.company)})
        self._process()
        self.assertEqual(partner.lifecycle_stage, "prospect")
        self.assertEqual(self._profile(partner).order_count, 0)

    def test_confirm_mode_refreshes_at_once_and_queues_nothing(self):
        self.company.lifecycle_refresh_on_order = "confirm"
        partner = self._customer("At once", [])
        order = self._order(partner, TODAY, state="draft")
        triggers = self._triggers()
        order.action_confirm()
        self.assertEqual(partner.lifecycle_stage, "new")
        self.assertFalse(self._queued())
        self.assertEqual(self._triggers(), triggers)

    def test_each_company_follows_its_own_setting(self):
        other = self.env["res.company"].create(
            {"name": "Immediate Co", "lifecycle_refresh_on_order": "confirm"}
        )
        self.env.user.company_ids |= other
        partner = self._customer("Two companies", [])
        here = self._order(partner, TODAY, state="draft")
        there = self._order(partner, TODAY, company=other, state="draft")
        (here | there).with_context(
            allowed_company_ids=(self.company | other).ids
        ).action_confirm()
        self.assertEqual(self._profile(partner, other).order_count, 1)
        self.assertEqual(self._queued(), {(partner, self.company)})
        self._process()
        self.assertEqual(self._profile(partner).order_count, 1)

    def test_many_orders_make_one_trigger_and_batches_drain_the_queue(self):
        partners = [self._customer(f"Bulk {i}", []) for i in range(5)]
        orders = self.env["sale.order"].browse(
            [self._order(partner, TODAY, state="draft").id for partner in partners]
        )
        triggers = self._triggers()
        orders.action_confirm()
        self.assertEqual(self._triggers(), triggers + 1)
        self.assertEqual(len(self._queued()), 5)
        self.Queue._cron_process(batch_size=2)
        self.assertEqual(len(self._queued()), 3, "one batch per cron call")
        self._process()
        for partner in partners:
            self.assertEqual(partner.lifecycle_stage, "new")

    def test_a_due_trigger_is_not_repeated(self):
        """While the cron is due, later confirmations queue their customers
        without a trigger (nor a wake-up) of their own; once the cron has
        run (and deleted its due triggers), the next one triggers again."""
        first, second, third = (self._customer(f"Burst {i}", []) for i in range(3))
        triggers = self._triggers()
        self._order(first, TODAY, state="draft").action_confirm()
        self.assertEqual(self._triggers(), triggers + 1)
        self._order(second, TODAY, state="draft").action_confirm()
        self.assertEqual(self._triggers(), triggers + 1)
        self.assertEqual(
            self._queued(), {(first, self.company), (second, self.company)}
        )
        self._process()
        self.assertEqual(second.lifecycle_stage, "new")
        # As ir.cron._reschedule_later does after the run.
        self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]).unlink()
        self._order(third, TODAY, state="draft").action_confirm()
        self.assertEqual(self._triggers(), triggers + 1)

    def test_an_inactive_cron_gets_no_trigger(self):
        """As Odoo's own ir.cron._trigger: the queue still fills, and the
        nightly run refreshes everyone anyway."""
        self.cron.active = False
        partner = self._customer("Unwoken", [])
        triggers = self._triggers()
        self._order(partner, TODAY, state="draft").action_confirm()
        self.assertEqual(self._triggers(), triggers)
        self.assertEqual(self._queued(), {(partner, self.company)})

    def test_the_setting_is_in_the_settings_screen(self):
        settings = Form(self.env["res.config.settings"])
        self.assertEqual(settings.lifecycle_refresh_on_order, "queue")
        settings.lifecycle_refresh_on_order = "confirm"
        settings.save().execute()
        self.assertEqual(self.company.lifecycle_refresh_on_order, "confirm")

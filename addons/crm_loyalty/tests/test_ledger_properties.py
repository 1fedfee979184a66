from datetime import date, timedelta
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import LoyaltyLedgerCommon

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["earn", "redeem", "adjust", "cancel", "refund", "expire"]),
        st.integers(min_value=1, max_value=400),
    ),
    min_size=1,
    max_size=20,
)
KEYS = count()


@tagged("post_install", "-at_install")
class TestLedgerProperties(LoyaltyLedgerCommon):
    """Whatever happens to a card, balance = entries = lots (less any
    uncovered negative balance), and a refused spend changes nothing."""

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
    )
    @given(operations=OPERATIONS, policy=st.sampled_from(["cap", "negative"]))
    def test_invariant_after_random_sequences(self, operations, policy):
        self.program.crm_refund_policy = policy
        partner = self.env["res.partner"].create({"name": "Property customer"})
        card = self._card_with(0, partner=partner)
        earned = []
        start = date(2025, 1, 1)
        for step, (operation, amount) in enumerate(operations):
            key = f"property:{next(KEYS)}"
            with freeze_time(start + timedelta(days=25 * step)):
                if operation == "earn":
                    earned.append(self.Entry._post(card, "earn", amount, key, "earn"))
                elif operation in ("redeem", "adjust"):
                    points = -amount if operation == "redeem" or step % 2 else amount
                    before = card.points
                    try:
                        self.Entry._post(card, operation, points, key, operation)
                    except UserError:
                        card.invalidate_recordset()
                        self.assertEqual(card.points, before)
                        self.assertFalse(self.Entry.search([("source_key", "=", key)]))
                elif operation == "cancel" and earned:
                    entry = earned.pop(0)
                    self.Entry._post(
                        card, "reversal", -entry.points, key, "cancel", reverses=entry
                    )
                elif operation == "refund" and earned:
                    entry = earned[-1]
                    self.Entry._post(
                        card,
                        "reversal",
                        -min(amount, entry.points),
                        key,
                        "refund",
                        reverses=entry,
                    )
                elif operation == "expire":
                    self.Entry._cron_expire()
            self.assertEqual(
                self.Entry._reconcile(card.ids), {}, operations[: step + 1]
            )
            if policy == "cap":
                self.assertGreaterEqual(card.points, -1e-6)

import json
from datetime import date

from odoo.tests import tagged

from .common import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestLoyaltyPersonalData(LoyaltyLedgerCommon):
    def test_export_and_anonymise_keep_the_ledger(self):
        self.partner.write(
            {"email": "member@example.com", "birthdate_date": date(1990, 5, 20)}
        )
        order = self._order(230.0)
        order.action_confirm()
        card = self.env["loyalty.card"].search(
            [("program_id", "=", self.program.id), ("partner_id", "=", self.partner.id)]
        )
        balance = card.points
        self.assertGreater(balance, 0)
        entries = self.Entry.search([("card_id", "=", card.id)])
        data = json.loads(self.partner._lifecycle_personal_data_json())
        [row] = data["loyalty_cards"]
        self.assertEqual(row["points"], balance)
        self.assertEqual(len(data["loyalty_ledger"]), len(entries))
        self.assertEqual(data["customer"][0]["birthdate_date"], "1990-05-20")
        self.partner.action_lifecycle_anonymise()
        self.assertFalse(self.partner.birthdate_date)
        self.assertFalse(self.partner.email)
        # Nothing posted was edited: same entries, same balance.
        self.assertEqual(card.points, balance)
        self.assertEqual(self.Entry.search([("card_id", "=", card.id)]), entries)
        self.assertEqual(sum(entries.mapped("points")), balance)

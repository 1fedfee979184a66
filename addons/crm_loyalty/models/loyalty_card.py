from odoo import api, fields, models

# Context keys: the order hooks post typed entries themselves, so the points
# that sale_loyalty writes on the card during confirmation or cancellation
# are left to them.
ORDER_FLOW = "crm_loyalty_order_flow"


class LoyaltyCard(models.Model):
    _inherit = "loyalty.card"

    crm_entry_ids = fields.One2many("crm.loyalty.entry", "card_id", "Ledger entries")
    crm_lot_ids = fields.One2many("crm.loyalty.lot", "card_id", "Lots")
    crm_ledger_managed = fields.Boolean(related="program_id.crm_ledger_managed")

    def _crm_ledger_cards(self):
        return self.filtered(lambda card: card.program_id._crm_is_ledger())

    @api.model_create_multi
    def create(self, vals_list):
        initial = [vals.get("points") or 0.0 for vals in vals_list]
        cards = super().create(
            [
                {**vals, "points": 0.0} if vals.get("points") else vals
                for vals in vals_list
            ]
        )
        for card, points in zip(cards, initial, strict=True):
            if not points:
                continue
            if card.program_id._crm_is_ledger():
                card._crm_post_adjustment(
                    points,
                    self.env._("Initial balance"),
                    key=f"loyalty.card:{card.id}:initial",
                )
            else:
                super(LoyaltyCard, card).write({"points": points})
        return cards

    def write(self, vals):
        if "points" not in vals or self.env.context.get("crm_loyalty_posting"):
            return super().write(vals)
        ledger_cards = self._crm_ledger_cards()
        if not ledger_cards:
            return super().write(vals)
        others = self - ledger_cards
        rest = {key: value for key, value in vals.items() if key != "points"}
        res = True
        if others:
            res = super(LoyaltyCard, others).write(vals)
        if rest:
            res = super(LoyaltyCard, ledger_cards).write(rest)
        if not self.env.context.get(ORDER_FLOW):
            # Anyone else writing a balance (imports, other modules, the
            # point of sale) becomes a signed adjustment, so that the
            # balance still equals the entries.
            for card in ledger_cards:
                delta = vals["points"] - card.points
                if delta:
                    card._crm_post_adjustment(
                        delta,
                        self.env.context.get("crm_loyalty_reason")
                        or self.env._("Balance changed directly"),
                    )
        return res

    def _crm_post_adjustment(self, points, reason, key=None, source=None):
        self.ensure_one()
        Entry = self.env["crm.loyalty.entry"]
        key = key or f"loyalty.card:{self.id}:adjust:{Entry._next_adjust_number(self)}"
        return Entry._post(self, "adjust", points, key, reason=reason, source=source)

    def action_crm_open_ledger(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_loyalty.crm_loyalty_entry_action"
        )
        action["domain"] = [("card_id", "=", self.id)]
        action["context"] = {"default_card_id": self.id}
        return action

    def action_crm_adjust(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Adjust points"),
            "res_model": "crm.loyalty.adjust.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_card_id": self.id},
        }

from datetime import timedelta

from odoo import fields, models


class PosConfig(models.Model):
    _inherit = "pos.config"

    def _get_available_pricelists(self):
        """The till also loads the member tiers' pricelists of its company
        (in its currency): Odoo's till applies the pricelist of the customer
        it selects when it has it loaded, so a Gold member's 9折 applies at
        the counter as on a quotation. Cashiers still choose by hand among
        the configured pricelists only."""
        pricelists = super()._get_available_pricelists()
        # sudo: tiers are read by every internal user, but the POS session
        # loads its data for whoever opens it; only pricelist ids come out.
        tiers = (
            self.env["crm.loyalty.tier"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("pricelist_id", "!=", False),
                ]
            )
        )
        return pricelists | tiers.pricelist_id.filtered(
            lambda pricelist: pricelist.currency_id == self.currency_id
        )

    def crm_loyalty_member_info(self, partner_id):
        """What the till shows about the member it serves: tier and stars,
        ledger balance, points expiring within 30 days, and for each ledger
        program of this till the multipliers that apply today, so that the
        order's points are announced as the ledger will post them
        ("120 x 2 (member day) = 240 points"). Called when the cashier
        selects a customer; after a sale the till works out the new balance
        and expiring points from the confirmation's answer (payment_screen.js),
        and it keeps selling without this call (offline)."""
        self.ensure_one()
        self.check_access("read")
        partner = self.env["res.partner"].browse(int(partner_id)).exists()
        if not partner:
            return False
        partner.check_access("read")
        company = self.company_id
        customer = partner.commercial_partner_id
        # sudo: cashiers are not salespeople, who alone read balances and
        # tiers on the customer form; only this customer's figures in the
        # till's company come out.
        member = customer.sudo().with_company(company)
        programs = self._get_program_ids().filtered(
            lambda program: program._crm_is_ledger()
        )
        cards = member.loyalty_ledger_card_ids.filtered(
            lambda card: card.program_id in programs
        )
        day = fields.Date.context_today(self)
        facts = self.env["loyalty.program"]._crm_member_facts(partner, company)
        labels = {
            "member_day": self.env._("member day"),
            "birthday": self.env._("birthday month"),
        }
        Entry = self.env["crm.loyalty.entry"]
        multipliers = {}
        for program in programs:
            factor, factors = program._crm_multiplier_factors(
                partner, day, company, member=facts
            )
            expiry = program._crm_expiry_date(day)
            multipliers[str(program.id)] = {
                # Points earned today count among those expiring within 30
                # days on the receipt (the till works the receipt out
                # without asking the server again).
                "expires_within_30": bool(
                    expiry and expiry <= day + timedelta(days=30)
                ),
                "factor": factor,
                "factors": [
                    {
                        "value": item["value"],
                        "label": labels.get(item["kind"])
                        or Entry._translated(item.get("name")),
                    }
                    for item in factors
                ],
            }
        tier = member.loyalty_tier_id
        balance = sum(cards.mapped("points"))
        return {
            "partner_id": partner.id,
            "tier": tier and {"name": tier.name, "stars": int(tier.stars)},
            "balance": balance,
            "expiring_30": member.loyalty_points_expiring_30 if cards else 0.0,
            "digits": Entry._point_digits(),
            "programs": multipliers,
        }

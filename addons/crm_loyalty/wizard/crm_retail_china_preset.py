from odoo import Command, fields, models
from odoo.exceptions import UserError

from odoo.addons.crm_lifecycle.rpc_guards import ensure_existing

# Bronze, Silver (9折), Gold (8折): (stars, threshold and keep threshold in
# yuan spent in the calendar year, discount in per cent).
CHINA_TIERS = [
    ("1", 0.0, 0.0, 0.0),
    ("2", 3000.0, 3000.0, 10.0),
    ("3", 10000.0, 10000.0, 20.0),
]


class CrmRetailChinaPreset(models.TransientModel):
    """Settings > Loyalty > Retail China: a company configured in one step
    with the numbers of Chinese retail practice. Each addon of the suite
    adds its part (``_apply``): loyalty here, journeys and churn reasons in
    theirs; each step says what it did."""

    _name = "crm.retail.china.preset"
    _description = "Retail China preset"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    member_weekday = fields.Selection(
        [
            ("0", "Monday"),
            ("1", "Tuesday"),
            ("2", "Wednesday"),
            ("3", "Thursday"),
            ("4", "Friday"),
            ("5", "Saturday"),
            ("6", "Sunday"),
        ],
        string="Member day",
        required=True,
        default="2",
        help="Points count double on this day of every week (会员日).",
    )
    result = fields.Text(readonly=True)

    def action_apply(self):
        ensure_existing(self)
        self.ensure_one()
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise UserError(self.env._("Only sales managers can apply the preset."))
        # sudo: the preset writes the company, its programs, pricelists and
        # tiers, which sales managers (checked above) configure anyway.
        done = self.sudo()._apply()
        self.result = "\n".join(f"• {line}" for line in done)
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _apply(self):
        """Configure the company; returns what was done, in words (runs as
        superuser, see ``action_apply``)."""
        company = self.company_id
        return [
            self._apply_currency(company),
            self._apply_program(company),
            *self._apply_tiers(company),
        ]

    def _apply_currency(self, company):
        cny = self.env.ref("base.CNY")
        if company.currency_id == cny:
            return self.env._("Currency: already yuan (CNY).")
        if self.env["account.move.line"].search_count(
            [("company_id", "=", company.id)], limit=1
        ):
            return self.env._(
                "Currency kept (%(currency)s): the company has journal entries, "
                "which Odoo cannot convert.",
                currency=company.currency_id.name,
            )
        cny.active = True
        company.currency_id = cny
        return self.env._("Currency: yuan (CNY).")

    def _program(self, company):
        Program = self.env["loyalty.program"].with_company(company)
        program = Program.search(
            [
                ("program_type", "=", "loyalty"),
                ("crm_ledger_managed", "=", True),
                ("company_id", "=", company.id),
            ],
            limit=1,
        )
        if program:
            return program
        return Program.create(
            {
                "name": self.env._("Loyalty points"),
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "company_id": company.id,
                "crm_ledger_managed": True,
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
                            "discount": 10,
                            "discount_applicability": "order",
                            "required_points": 100,
                        }
                    )
                ],
            }
        )

    def _apply_program(self, company):
        program = self._program(company)
        program.rule_ids.write({"reward_point_mode": "money", "reward_point_amount": 1})
        program.write(
            {
                "crm_member_day_kind": "weekday",
                "crm_member_weekday": self.member_weekday,
                "crm_member_day_factor": 2.0,
                "crm_birthday_factor": 3.0,
                "crm_birthday_mail": True,
            }
        )
        Behaviour = self.env["crm.loyalty.behaviour"]
        share = Behaviour.search(
            [("program_id", "=", program.id), ("code", "=", "share")], limit=1
        )
        if not share:
            share = Behaviour._create_defaults(program).filtered(
                lambda b: b.code == "share"
            )
        share.points = 50
        weekday = dict(self._fields["member_weekday"]._description_selection(self.env))
        return self.env._(
            "%(program)s: 1 yuan = 1 point, member day ×2 every %(weekday)s, "
            "birthday month ×3, a share = 50 points.",
            program=program.name,
            weekday=weekday[self.member_weekday],
        )

    def _tier_pricelist(self, company, name, discount):
        Pricelist = self.env["product.pricelist"]
        pricelist = Pricelist.search(
            [("name", "=", name), ("company_id", "=", company.id)], limit=1
        )
        items = [
            Command.clear(),
            Command.create(
                {
                    "applied_on": "3_global",
                    "compute_price": "percentage",
                    "percent_price": discount,
                }
            ),
        ]
        if pricelist:
            pricelist.write({"item_ids": items, "currency_id": company.currency_id.id})
            return pricelist
        return Pricelist.create(
            {
                "name": name,
                "company_id": company.id,
                "currency_id": company.currency_id.id,
                "sequence": 50,
                "item_ids": items,
            }
        )

    def _apply_tiers(self, company):
        company.write(
            {"loyalty_tier_basis": "spent", "loyalty_tier_window": "calendar"}
        )
        Tier = self.env["crm.loyalty.tier"].with_company(company)
        tiers = Tier.search([("company_id", "=", company.id)])
        # Thresholds move from the top down, so that the order constraint
        # (each tier above the one below) holds at every write.
        done = []
        names = {
            "1": self.env._("Bronze"),
            "2": self.env._("Silver"),
            "3": self.env._("Gold"),
        }
        for stars, threshold, keep, discount in reversed(CHINA_TIERS):
            tier = tiers.filtered(lambda t, s=stars: t.stars == s)[:1]
            label = names[stars]
            vals = {
                "threshold": threshold,
                "retention_threshold": keep,
                "multiplier": 1.0,
                "pricelist_id": self._tier_pricelist(
                    company,
                    self.env._("%(tier)s members", tier=label),
                    discount,
                ).id
                if discount
                else False,
            }
            if tier:
                tier.write(vals)
            else:
                Tier.create(
                    {"name": label, "stars": stars, "company_id": company.id, **vals}
                )
        higher = Tier.search(
            [("company_id", "=", company.id), ("stars", ">", CHINA_TIERS[-1][0])]
        )
        for tier in higher:
            if tier.member_count:
                # Kept above Gold: its members keep their tier.
                tier.write(
                    {
                        "threshold": max(tier.threshold, 2 * CHINA_TIERS[-1][1]),
                        "retention_threshold": max(
                            tier.retention_threshold, CHINA_TIERS[-1][1]
                        ),
                    }
                )
                done.append(
                    self.env._(
                        "%(tier)s kept above Gold: it has members; move them "
                        "before removing it.",
                        tier=tier.name,
                    )
                )
            else:
                tier.unlink()
        done.insert(
            0,
            self.env._(
                "Tiers on the amount spent in the calendar year: Bronze; Silver "
                "from 3,000 yuan (9折); Gold from 10,000 yuan, kept by 10,000 "
                "yuan a year (8折)."
            ),
        )
        return done

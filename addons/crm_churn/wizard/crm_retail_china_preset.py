from odoo import models


class CrmRetailChinaPreset(models.TransientModel):
    _inherit = "crm.retail.china.preset"

    def _apply(self):
        done = super()._apply()
        reasons = [
            self.env.ref(f"crm_churn.crm_churn_reason_{code}", raise_if_not_found=False)
            for code in (
                "price",
                "service",
                "product",
                "attention",
                "competitor",
                "other",
            )
        ]
        reasons = self.env["crm.churn.reason"].union(*[r for r in reasons if r])
        reasons.with_context(active_test=False).write({"active": True})
        done.append(
            self.env._(
                "Churn reasons: %(reasons)s.",
                reasons=", ".join(reasons.mapped("name")),
            )
        )
        return done

from odoo import models

# The ready journeys the preset starts: the 90-day coupon and the festival
# greetings.
PRESET_JOURNEYS = (
    "crm_journey.journey_no_repurchase_90",
    "crm_journey.journey_spring_festival",
    "crm_journey.journey_mid_autumn",
)


class CrmRetailChinaPreset(models.TransientModel):
    _inherit = "crm.retail.china.preset"

    def _apply(self):
        done = super()._apply()
        company = self.company_id
        started = self.env["crm.journey"]
        for xmlid in PRESET_JOURNEYS:
            ready = self.env.ref(xmlid, raise_if_not_found=False)
            if not ready:
                continue
            journey = (
                ready
                if ready.company_id == company
                else self._journey_for(ready, company)
            )
            started |= journey
        started.filtered(lambda j: j.state != "running").action_start()
        if started:
            done.append(
                self.env._(
                    "Journeys started: %(journeys)s.",
                    journeys=", ".join(started.mapped("name")),
                )
            )
        return done

    def _journey_for(self, ready, company):
        """The company's copy of a ready journey (made once), with coupons of
        a program of its own."""
        existing = self.env["crm.journey"].search(
            [("company_id", "=", company.id), ("name", "=", ready.name)], limit=1
        )
        if existing:
            return existing
        programs = {}
        for program in ready.step_ids.coupon_program_id:
            programs[program.id] = program.copy({"company_id": company.id})
        journey = ready.copy({"company_id": company.id, "name": ready.name})
        for step in journey.step_ids.filtered("coupon_program_id"):
            step.coupon_program_id = programs[step.coupon_program_id.id]
        return journey

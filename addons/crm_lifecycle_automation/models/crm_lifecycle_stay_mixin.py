from odoo import models

from odoo.addons.base_automation.models.base_automation import CREATE_TRIGGERS


class CrmLifecycleStayMixin(models.AbstractModel):
    _inherit = "crm.lifecycle.stay.mixin"

    def _lifecycle_stays_opened(self):
        """Run the automation rules "On creation" (and the other creation
        triggers) of the stay's model on the stays just opened, as Odoo's
        ``create`` would: once per change, with the rule's domain checked,
        for the nightly batches as for an order's refresh."""
        res = super()._lifecycle_stays_opened()
        automations = self.env["base.automation"]._get_actions(self, CREATE_TRIGGERS)
        if automations:
            records = self.with_env(automations.env)
            for automation in automations.with_context(old_values=None):
                automation._process(automation._filter_post(records, feedback=True))
        return res

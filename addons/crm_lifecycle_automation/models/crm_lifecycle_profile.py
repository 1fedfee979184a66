from collections import defaultdict

from odoo import api, models

from odoo.addons.base_automation.models.base_automation import WRITE_TRIGGERS


class CrmLifecycleProfile(models.Model):
    _inherit = "crm.lifecycle.profile"

    @api.model
    def _lifecycle_mirror_moved(self, moves):
        """Run the automation rules "On update" of the customer whose
        trigger fields include the stage, segment or value class that a
        refresh moved, as Odoo's ``write`` would: the old values are those
        the refresh replaced, the new ones read in the profile's company
        (the fields are per company).

        A rule with a "Before update" domain is left out: that domain would
        have to be read on the customer as he was, which the bulk write no
        longer has; such a rule is written on the stage history instead."""
        res = super()._lifecycle_mirror_moved(moves)
        by_company = defaultdict(dict)
        for partner_id, company_id, old in moves:
            by_company[company_id][partner_id] = old
        for company_id, old_values in by_company.items():
            partners = (
                self.env["res.partner"]
                .with_company(company_id)
                .browse(list(old_values))
            )
            automations = self.env["base.automation"]._get_actions(
                partners, WRITE_TRIGGERS
            )
            # sudo: whether a rule has a "Before update" domain is the rule's
            # configuration, read whoever's refresh moved the customer.
            automations = automations.filtered(lambda a: not a.sudo().filter_pre_domain)
            for automation in automations.with_context(old_values=old_values):
                records, domain_post = automation._filter_post_export_domain(
                    partners, feedback=True
                )
                automation._process(records, domain_post=domain_post)
        return res

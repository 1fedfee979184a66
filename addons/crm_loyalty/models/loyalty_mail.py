from odoo import models


class LoyaltyMail(models.Model):
    # loyalty.program._crm_milestone_program_ids caches which programs have
    # a "when reaching" mail.
    _name = "loyalty.mail"
    _inherit = ["loyalty.mail", "crm.lifecycle.cached.mixin"]

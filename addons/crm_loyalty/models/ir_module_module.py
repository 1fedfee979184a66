from odoo import models


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    def _load_module_terms(
        self, modules, langs, overwrite=False, imported_module=False
    ):
        """Default behaviours are named from the addon's translations when
        they are created; a language whose translations are loaded later
        names them too."""
        res = super()._load_module_terms(
            modules, langs, overwrite=overwrite, imported_module=imported_module
        )
        if "crm_loyalty" in modules and "crm.loyalty.behaviour" in self.env:
            self.env["crm.loyalty.behaviour"]._translate_default_names(langs)
        return res

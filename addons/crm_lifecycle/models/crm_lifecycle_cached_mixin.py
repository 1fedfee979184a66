from odoo import api, models


class CrmLifecycleCachedMixin(models.AbstractModel):
    """Records that an ``ormcache`` is built from (purchase-model fits here,
    and the records of addons built on this one): every change drops the
    registry's cache, in this worker and, through Odoo's registry signalling,
    in the others. They change a few times a year; order confirmations read
    them every time."""

    _name = "crm.lifecycle.cached.mixin"
    _description = "Records Cached per Registry"

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    def _update_field_translations(self, field_name, translations, *args, **kwargs):
        self.env.registry.clear_cache()
        return super()._update_field_translations(
            field_name, translations, *args, **kwargs
        )

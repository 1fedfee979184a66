from . import crm_lifecycle_stay_mixin

from . import crm_lifecycle_profile
from . import crm_lifecycle_stay_mixin

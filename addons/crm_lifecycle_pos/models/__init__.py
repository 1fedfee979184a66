from . import crm_lifecycle_profile
from . import pos_order
from . import res_company
from . import res_config_settings

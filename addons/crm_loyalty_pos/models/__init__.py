from . import crm_loyalty_entry
from . import crm_loyalty_tier
from . import pos_config
from . import pos_order
from . import pos_session
from . import res_partner

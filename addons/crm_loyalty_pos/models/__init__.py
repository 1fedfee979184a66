from . import crm_loyalty_entry
from . import pos_config
from . import pos_order

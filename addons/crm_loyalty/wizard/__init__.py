from . import crm_loyalty_adjust_wizard
from . import crm_loyalty_behaviour_wizard
from . import loyalty_card_update_balance
from . import crm_retail_china_preset

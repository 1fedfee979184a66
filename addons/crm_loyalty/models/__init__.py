from . import loyalty_program
from . import crm_loyalty_entry
from . import crm_loyalty_lot
from . import crm_loyalty_allocation
from . import loyalty_card
from . import sale_order
from . import account_move
from . import res_partner

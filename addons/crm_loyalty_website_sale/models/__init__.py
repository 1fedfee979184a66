from . import crm_loyalty_tier
from . import product_pricelist

from . import crm_retail_china_preset

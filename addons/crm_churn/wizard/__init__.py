from . import crm_churn_alert_lost
from . import crm_churn_export
from . import crm_retail_china_preset
from . import crm_churn_complaint

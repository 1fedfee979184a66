from . import crm_churn_alert_lost
from . import crm_churn_export

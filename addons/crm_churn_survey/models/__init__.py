from . import crm_churn_signal
from . import crm_churn_risk

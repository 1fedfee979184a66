from . import helpdesk_ticket
from . import crm_churn_risk

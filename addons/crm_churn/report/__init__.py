from . import crm_churn_rate_report
from . import crm_churn_cohort_report

from . import crm_lifecycle_stage_report
from . import crm_lifecycle_funnel_report

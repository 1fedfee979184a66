from . import crm_lifecycle_pin_wizard
from . import crm_lifecycle_segment_export

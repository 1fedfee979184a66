from . import test_kpi
from . import test_thresholds
from . import test_security
from . import test_tour

from . import test_alert
from . import test_run
from . import test_security
from . import test_tour

from . import test_alert
from . import test_confirmation_cost
from . import test_run
from . import test_reports
from . import test_security
from . import test_tour
from . import test_sudo_guard
from . import test_upsert

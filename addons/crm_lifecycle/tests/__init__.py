from . import test_stages
from . import test_rfm
from . import test_run
from . import test_purchase_model
from . import test_security
from . import test_settings
from . import test_export
from . import test_tour

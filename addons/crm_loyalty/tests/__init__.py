from . import test_ledger
from . import test_ledger_security
from . import test_refunds
from . import test_portal
from . import test_multipliers
from . import test_behaviour
from . import test_tiers
from . import test_messages

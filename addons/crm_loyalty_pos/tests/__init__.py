from . import test_pos_ledger
from . import test_pos_tour
from . import test_pos_sync_queries

from . import test_pos_ledger
from . import test_pos_tour

from . import test_pos_ledger

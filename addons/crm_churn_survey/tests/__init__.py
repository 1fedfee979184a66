from . import test_nps_signals

from . import test_run

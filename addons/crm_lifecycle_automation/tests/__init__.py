from . import test_automation

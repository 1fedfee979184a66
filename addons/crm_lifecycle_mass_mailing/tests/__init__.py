from . import test_campaign

from . import test_campaign
from . import test_tour

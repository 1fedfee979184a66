from . import test_journey_engine
from . import test_journey_consent
from . import test_journey_triggers
from . import test_journey_security
from . import test_tour

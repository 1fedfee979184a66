from . import test_nps_answer
from . import test_journey_survey
from . import test_nps_security
from . import test_survey_flow
from . import test_tour

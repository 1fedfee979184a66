from . import survey_survey
from . import survey_user_input
from . import crm_nps_answer
from . import crm_journey_step
from . import res_partner

from . import festivals
from . import stats

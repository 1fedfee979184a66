from . import nps_signals

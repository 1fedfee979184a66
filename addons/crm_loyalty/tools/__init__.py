# Pure functions: no Odoo import below this folder.
from . import ledger
from . import multipliers
from . import periods
from . import tiers
from . import statement
from . import unsubscribe
from . import service_levels

# Pure functions: no Odoo import below this folder (see readme/DEVELOP.md).
from . import clv
from . import demo_history
from . import profile
from . import rfm
from . import snapshot
from . import stages
from . import xlsx_report
from . import workdays

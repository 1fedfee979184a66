from . import portal
from . import unsubscribe

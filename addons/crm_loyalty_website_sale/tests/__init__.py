from . import test_shop_ledger
from . import test_shop_pages

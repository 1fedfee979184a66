from odoo.tools import SQL

from .models.account_move import LIFECYCLE_MOVE_INDEXES
from .models.res_partner import COMMERCIAL_INDEX
from .models.sale_order import FACTS_INDEX


def uninstall_hook(env):
    """The indexes that the init() of res.partner, account.move and
    sale.order add to Odoo's tables are not dropped with the module's own
    tables and columns: drop them here. An index that a higher addon adds
    through the account.move hook (``_lifecycle_indexes``) is that addon's
    to drop. So is the purchase view (``_create_purchase_view``)."""
    names = [COMMERCIAL_INDEX, *(name for name, _c, _w in LIFECYCLE_MOVE_INDEXES)]
    names.append(FACTS_INDEX)
    env.execute_query(
        SQL(
            "DROP INDEX IF EXISTS %s",
            SQL(", ").join(SQL.identifier(name) for name in names),
        )
    )
    # The purchase view is no model's table. CASCADE: the report views built
    # on it belong to addons that depend on this one, uninstalled with it.
    env.execute_query(SQL("DROP VIEW IF EXISTS crm_lifecycle_purchase CASCADE"))

{
    "name": "Loyalty Points Ledger: Point of Sale",
    "summary": "Points earned and spent at the till are typed ledger entries, "
    "with multipliers, once per order, taken back on refunds",
    "version": "18.0.1.0.0",
    "category": "Sales/Point of Sale",
    "website": "https://github.com/crm-lifecycle-suite/crm-lifecycle-suite",
    "author": "CRM Lifecycle Suite",
    "license": "LGPL-3",
    "depends": ["crm_loyalty", "pos_loyalty"],
    "assets": {
        "point_of_sale._assets_pos": [
            "crm_loyalty_pos/static/src/**/*",
        ],
        "web.assets_tests": [
            "crm_loyalty_pos/static/tests/tours/**/*",
        ],
    },
    "auto_install": True,
    "installable": True,
    "application": False,
}

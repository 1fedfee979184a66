{
    "name": "Loyalty Points Ledger",
    "summary": "An append-only points ledger with per-lot expiry on Odoo's "
    "loyalty programs",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/crm-lifecycle-suite/crm-lifecycle-suite",
    "author": "CRM Lifecycle Suite",
    "license": "LGPL-3",
    "depends": ["sale_loyalty", "crm_lifecycle"],
    "data": [
        "security/crm_loyalty_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/crm_loyalty_entry_views.xml",
        "views/crm_loyalty_lot_views.xml",
        "views/loyalty_program_views.xml",
        "views/loyalty_card_views.xml",
        "wizard/crm_loyalty_adjust_wizard_views.xml",
        "views/crm_loyalty_menus.xml",
    ],
    "installable": True,
    "application": False,
}

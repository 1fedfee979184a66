{
    "name": "Customer Lifecycle: Automation Rules",
    "summary": "Odoo's automation rules react to every change of a customer's "
    "lifecycle stage and RFM segment, including the nightly run's",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/crm-lifecycle-suite/crm-lifecycle-suite",
    "author": "CRM Lifecycle Suite",
    "license": "LGPL-3",
    "depends": ["crm_lifecycle", "base_automation"],
    "auto_install": True,
    "installable": True,
    "application": False,
}

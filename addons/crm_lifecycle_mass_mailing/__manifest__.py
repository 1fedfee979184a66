{
    "name": "Customer Lifecycle: Email and SMS Marketing",
    "summary": "One-off email or SMS campaigns to the customers of a lifecycle "
    "stage, RFM segment, value class or tier list, through Odoo's mailings",
    "version": "18.0.1.0.0",
    "category": "Marketing/Email Marketing",
    "website": "https://github.com/crm-lifecycle-suite/crm-lifecycle-suite",
    "author": "CRM Lifecycle Suite",
    "license": "LGPL-3",
    "depends": ["crm_lifecycle", "mass_mailing"],
    "assets": {
        "web.assets_tests": [
            "crm_lifecycle_mass_mailing/static/src/tours/*.js",
        ],
    },
    "auto_install": True,
    "installable": True,
}

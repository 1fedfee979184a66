{
    "name": "Customer Lifecycle: Point of Sale",
    "summary": "Paid Point of Sale orders count as purchases in lifecycle "
    "stages, RFM, value and churn; POS refunds reduce them",
    "version": "18.0.1.0.0",
    "category": "Sales/Point of Sale",
    "website": "https://github.com/crm-lifecycle-suite/crm-lifecycle-suite",
    "author": "CRM Lifecycle Suite",
    "license": "LGPL-3",
    "depends": ["crm_lifecycle", "point_of_sale"],
    "data": ["views/res_config_settings_views.xml"],
    "uninstall_hook": "uninstall_hook",
    "auto_install": True,
    "installable": True,
    "application": False,
}

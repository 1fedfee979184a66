{
    "name": "Customer Lifecycle: KPI Dashboard",
    "summary": "A Customer Lifecycle dashboard in the Dashboards app (stages, "
    "repurchase, churn, NPS, win-back, points liability, members against "
    "non-members) from a daily KPI snapshot, and an activity for the sales "
    "managers when a KPI crosses its line",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/crm-lifecycle-suite/crm-lifecycle-suite",
    "author": "CRM Lifecycle Suite",
    "license": "LGPL-3",
    "depends": ["crm_churn", "crm_lifecycle_survey", "spreadsheet_dashboard"],
    "data": [
        "security/ir.model.access.csv",
        "security/crm_lifecycle_kpi_security.xml",
        "data/ir_cron_data.xml",
        "data/spreadsheet_dashboard_data.xml",
        "views/crm_lifecycle_kpi_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_lifecycle_dashboard_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_lifecycle_dashboard/static/src/tours/*.js",
        ],
    },
    "auto_install": True,
    "installable": True,
}

{
    "name": "Customer Lifecycle",
    "summary": "Lifecycle stages, RFM segments, value classes and customer "
    "lifetime value computed from sales",
    "version": "18.0.1.1.0",
    "category": "Sales/Sales",
    "website": "https://github.com/crm-lifecycle-suite/crm-lifecycle-suite",
    "author": "CRM Lifecycle Suite",
    "license": "LGPL-3",
    "depends": ["sale_management", "portal"],
    "external_dependencies": {
        "python": ["numpy", "scipy", "xlsxwriter", "chinese_calendar"]
    },
    "data": [
        "security/crm_lifecycle_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/crm_lifecycle_profile_views.xml",
        "data/ir_actions_server_data.xml",
        "views/crm_lifecycle_stage_history_views.xml",
        "views/crm_rfm_segment_history_views.xml",
        "views/crm_purchase_model_views.xml",
        "views/crm_lifecycle_run_views.xml",
        "views/res_partner_views.xml",
        "views/portal_templates.xml",
        "views/res_config_settings_views.xml",
        "report/crm_lifecycle_stage_report_views.xml",
        "report/crm_lifecycle_funnel_report_views.xml",
        "wizard/crm_lifecycle_pin_wizard_views.xml",
        "wizard/crm_lifecycle_segment_export_views.xml",
        "views/crm_lifecycle_menus.xml",
    ],
    "demo": ["demo/crm_lifecycle_demo.xml"],
    "assets": {
        "web.assets_backend": [
            "crm_lifecycle/static/src/scss/*.scss",
        ],
        # Graph and pivot views, loaded with Odoo's own when first needed.
        "web.assets_backend_lazy": [
            "crm_lifecycle/static/src/views/*",
        ],
        "web.assets_tests": [
            "crm_lifecycle/static/src/tours/*.js",
        ],
    },
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "application": False,
}

{
    "name": "Customer Journeys",
    "summary": "Automated customer journeys by lifecycle stage, RFM segment, tier "
    "and calendar (Chinese festivals included): emails, text messages, "
    "activities, coupons and bonus points, with consent, caps and a control group",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/crm-lifecycle-suite/crm-lifecycle-suite",
    "author": "CRM Lifecycle Suite",
    "license": "LGPL-3",
    "depends": ["crm_lifecycle", "crm_loyalty", "sms"],
    "external_dependencies": {"python": ["lunardate"]},
    "data": [
        "security/crm_journey_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/mail_template_data.xml",
        "data/sms_template_data.xml",
        "data/crm_journey_data.xml",
        "views/crm_journey_views.xml",
        "views/crm_journey_step_views.xml",
        "views/crm_journey_participant_views.xml",
        "views/crm_journey_run_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_journey_menus.xml",
    ],
    "demo": ["demo/crm_journey_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "crm_journey/static/src/tours/*.js",
        ],
    },
    "installable": True,
    "application": False,
}

{
    "name": "Customer Lifecycle: NPS and Satisfaction Surveys",
    "summary": "Net Promoter Score and satisfaction (CSAT) surveys sent by the "
    "customer journeys, answers kept in the CRM with the customer's stage, "
    "segment and tier, points for answering and a call for every detractor",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/crm-lifecycle-suite/crm-lifecycle-suite",
    "author": "CRM Lifecycle Suite",
    "license": "LGPL-3",
    "depends": ["crm_journey", "survey"],
    "data": [
        "security/ir.model.access.csv",
        "security/crm_nps_answer_security.xml",
        "data/survey_survey_data.xml",
        "data/mail_template_data.xml",
        "data/crm_journey_data.xml",
        "views/crm_nps_answer_views.xml",
        "views/crm_journey_step_views.xml",
        "views/survey_survey_views.xml",
        "views/res_partner_views.xml",
        "views/crm_lifecycle_survey_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_lifecycle_survey/static/src/tours/*.js",
        ],
    },
    "auto_install": True,
    "installable": True,
}

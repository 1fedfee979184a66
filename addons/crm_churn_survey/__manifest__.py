{
    "name": "Churn Warning: NPS Signals",
    "summary": "A detractor answer and a falling NPS score become churn-risk "
    "signals with their reason in words",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/crm-lifecycle-suite/crm-lifecycle-suite",
    "author": "CRM Lifecycle Suite",
    "license": "LGPL-3",
    "depends": ["crm_churn", "crm_lifecycle_survey"],
    "data": ["data/crm_churn_signal_data.xml"],
    "auto_install": True,
    "installable": True,
}

{
    "name": "Churn Warning: Helpdesk Tickets",
    "summary": "Helpdesk tickets (OCA helpdesk_mgmt) as complaints in the churn "
    "signal, and a member's new ticket with the tier's priority and deadline",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/crm-lifecycle-suite/crm-lifecycle-suite",
    "author": "CRM Lifecycle Suite",
    # helpdesk_mgmt is AGPL-3: a module built on it is too.
    "license": "AGPL-3",
    "depends": ["crm_churn", "helpdesk_mgmt"],
    "data": ["views/helpdesk_ticket_views.xml"],
    "auto_install": True,
    "installable": True,
}

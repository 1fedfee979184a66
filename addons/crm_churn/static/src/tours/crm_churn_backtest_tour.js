import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_churn_backtest_tour", {
    url: "/odoo/action-crm_churn.crm_churn_backtest_action",
    steps: () => [
        {
            content: "The backtest is listed with its ranking figure",
            trigger: ".o_list_view .o_data_row:contains('0.810')",
        },
        {
            content: "Open it",
            trigger: ".o_list_view .o_data_row .o_data_cell[name='as_of']",
            run: "click",
        },
        {
            content: "The figures in words",
            trigger: ".o_form_view .o_crm_churn_backtest_summary:contains('1,000 customers had bought')",
        },
        {
            content: "The comparison with the purchase model",
            trigger: ".o_form_view .o_crm_churn_backtest_summary:contains('probability alive alone: 74%')",
        },
        {
            content: "Which weighting scores the customers, and why",
            trigger: ".o_form_view .o_crm_churn_backtest_summary:contains('the purchase model alone at 77.0%: the score follows the purchase model alone')",
        },
        {
            content: "The choice in the weights group",
            trigger: ".o_form_view .o_field_widget[name='weights_choice']:contains('The purchase model alone')",
        },
        {
            content: "Where customers go back and forth between stages",
            trigger: ".o_form_view .o_crm_churn_backtest_summary:contains('most often out of: At risk (180 changes, 150 customers)')",
        },
        {
            content: "Open the calibration",
            trigger: ".o_notebook .nav-link:contains('Calibration')",
            run: "click",
        },
        {
            content: "Ten groups: announced risk against customers lost",
            trigger: ".o_field_one2many[name='bin_ids'] .o_data_row:nth-child(10)",
        },
        {
            content: "Alert the 10% most at risk",
            trigger: "button[name='action_alert_top_share']",
            run: "click",
        },
        {
            content: "Back on the form once the threshold is set",
            trigger: ".o_form_view .o_form_readonly, .o_form_view .o_form_saved",
        },
    ],
});

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const CUSTOMER = "Churn Tour Customer";
const FEEDBACK = "Called: the customer finds our prices too high";
const LOST_NOTE = "Moved to a cheaper supplier";
const RETURNING = "Churn Tour Returning";
const GONE = "Churn Tour Long Gone";

function openChurnMenu(xmlid, content) {
    return [
        {
            content: "Open the Churn menu",
            trigger:
                ".o_menu_sections button[data-menu-xmlid='crm_churn.crm_churn_menu_root']",
            run: "click",
        },
        {
            content,
            trigger: `.dropdown-item[data-menu-xmlid='${xmlid}']`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("crm_churn_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open the Sales app"),
        {
            content: "Open the Churn menu",
            trigger:
                ".o_menu_sections button[data-menu-xmlid='crm_churn.crm_churn_menu_root']",
            run: "click",
        },
        {
            content: "Open the alerts",
            trigger: ".dropdown-item[data-menu-xmlid='crm_churn.crm_churn_alert_menu']",
            run: "click",
        },
        {
            content: "The alerts open filtered on my alerts",
            trigger: ".o_searchview .o_facet_value:contains('My alerts')",
        },
        {
            content: "New alerts: critical first, before a high alert worth more",
            trigger: `.o_kanban_group:has(.o_column_title:contains('New')) .o_kanban_record:first:contains('${CUSTOMER}')`,
        },
        {
            content: "The card says what the amount is",
            trigger: `.o_kanban_record:contains('${CUSTOMER}'):contains('Value at risk')`,
        },
        {
            content: "Open the alert won back while its offer waited",
            trigger: `.o_kanban_group:has(.o_column_title:contains('Won back')) .o_kanban_record:contains('${RETURNING}')`,
            run: "click",
        },
        {
            content: "It says the offer was not sent",
            trigger:
                ".o_form_view .o_field_widget[name='offer_state']:contains('Not sent: alert closed first')",
        },
        {
            content: "It offers neither approval nor skipping",
            trigger:
                ".o_form_view .o_form_statusbar:not(:has(button[name='action_skip_offer'])):not(:has(button[name='action_approve_offer']))",
        },
        {
            content: "The statusbar reads Won back",
            trigger:
                ".o_form_view .o_field_widget[name='stage'] .o_arrow_button_current:contains('Won back')",
        },
        {
            content: "Back to the alerts",
            trigger: ".o_breadcrumb .o_back_button a:contains('Churn Alerts')",
            run: "click",
        },
        {
            content: "Open the tour customer's alert",
            trigger: `.o_kanban_view .o_kanban_record:contains('${CUSTOMER}')`,
            run: "click",
        },
        {
            content: "The alert is new",
            trigger:
                ".o_form_view .o_field_widget[name='stage'] .o_arrow_button_current:contains('New')",
        },
        {
            content: "Open the customer",
            trigger: ".o-form-buttonbox button[name='action_open_partner']",
            run: "click",
        },
        {
            content: "The customer's form shows",
            trigger: `.o_form_view:has(.o_field_widget[name='company_type']) .o_field_widget[name='name']:contains('${CUSTOMER}')`,
        },
        {
            content: "Go back to the alert",
            trigger: `.o_breadcrumb .o_back_button a:contains('${CUSTOMER}')`,
            run: "click",
        },
        {
            content: "The alert shows again",
            trigger: ".o_form_view button[name='action_open_lost_wizard']",
        },
        {
            content: "Mark the scheduled call as done",
            trigger: ".o-mail-Activity:contains('Churn risk: call') .o-mail-Activity-markDone",
            run: "click",
        },
        {
            content: "Write how the call went",
            trigger: ".o-mail-ActivityMarkAsDone textarea",
            run: `edit ${FEEDBACK}`,
        },
        {
            content: "Log the call",
            trigger: ".o-mail-ActivityMarkAsDone button[aria-label='Done']",
            run: "click",
        },
        {
            content: "The call is logged in the chatter",
            trigger: `.o-mail-Message:contains('${FEEDBACK}')`,
        },
        {
            content: "No activity is left",
            trigger: ".o-mail-Chatter:not(:has(.o-mail-Activity))",
        },
        {
            content: "Logging the call moved the alert to In progress",
            trigger: ".o-mail-Message:contains('New'):contains('In progress'):contains('Stage')",
        },
        {
            // The chatter reloads itself, not the form: go back to the alerts.
            content: "Go back to the alerts",
            trigger: ".o_breadcrumb .o_back_button a:contains('Churn Alerts')",
            run: "click",
        },
        {
            content: "The alert is in the In progress column",
            trigger: `.o_kanban_group:has(.o_column_title:contains('In progress')) .o_kanban_record:contains('${CUSTOMER}')`,
            run: "click",
        },
        {
            content: "The statusbar shows In progress",
            trigger:
                ".o_form_view .o_field_widget[name='stage'] .o_arrow_button_current:contains('In progress')",
        },
        {
            content: "Close the alert as lost",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_open_lost_wizard']",
            run: "click",
        },
        {
            content: "Choose the churn reason",
            trigger: ".modal .o_field_widget[name='lost_reason_id'] input",
            run: "edit Price",
        },
        {
            content: "Pick Price",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('Price')",
            run: "click",
        },
        {
            content: "Write a note",
            trigger: ".modal .o_field_widget[name='lost_note'] textarea",
            run: `edit ${LOST_NOTE}`,
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The alert is lost",
            trigger:
                ".o_form_view .o_field_widget[name='stage'] .o_arrow_button_current:contains('Lost')",
        },
        {
            content: "The Lost ribbon shows",
            trigger: ".o_form_view .ribbon:contains('Lost')",
        },
        ...openChurnMenu("crm_churn.crm_churn_risk_menu", "Open the customers at risk"),
        {
            content: "The list opens on the customers still savable",
            trigger: ".o_searchview .o_facet_value:contains('Still savable')",
        },
        {
            content: "The savable customer tops the list, by value at risk",
            trigger: `.o_list_view .o_data_row:first:contains('${CUSTOMER}')`,
        },
        {
            content: "The long-churned customer is not among the warnings",
            trigger: `.o_list_view .o_list_table:not(:contains('${GONE}'))`,
        },
        ...openChurnMenu("crm_churn.crm_churn_risk_menu_lost", "Open the lost customers"),
        {
            content: "The long-churned customer is listed for win-back",
            trigger: `.o_list_view .o_data_row:contains('${GONE}')`,
        },
        ...openChurnMenu("crm_churn.crm_churn_export_menu", "Export the at-risk list"),
        {
            content: "Download the workbook",
            trigger: ".modal .modal-footer button[name='action_export']",
            run: "click",
        },
        {
            content: "The window closes after the download",
            trigger: "body:not(:has(.modal .o_form_view))",
        },
    ],
});

registry.category("web_tour.tours").add("crm_churn_admin_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open the Sales app"),
        ...openChurnMenu("crm_churn.crm_churn_settings_menu", "Open the churn settings"),
        {
            content: "Risk levels are in points",
            trigger: "#churn_levels:contains('points')",
        },
        {
            content: "The hour says its time zone",
            trigger: "#churn_schedule .o_field_widget[name='churn_nightly_tz']",
        },
        {
            content: "The control group is a share in per cent",
            trigger: "#churn_control:contains('% of the alerted customers')",
        },
        {
            content: "Lost customers follow the lifecycle's churned days",
            trigger: "#churn_lost:contains('days without an order')",
        },
        ...openChurnMenu("crm_churn.crm_churn_winback_menu", "Open the win-back results"),
        {
            content: "The rows say which group they are",
            trigger: ".o_pivot .o_pivot_header_cell_closed:contains('With offer')",
        },
        ...openChurnMenu("crm_churn.crm_churn_cohort_report_menu", "Open the cohorts"),
        {
            content: "The columns are months after the first order",
            trigger: ".o_pivot th:contains('Month 1')",
        },
        {
            content: "Each cohort shows its size",
            trigger: ".o_pivot th:contains('customer)')",
        },
        ...openChurnMenu("crm_churn.crm_churn_rate_report_menu", "Open the churn rate"),
        {
            content: "It opens on the last twelve months",
            trigger: ".o_searchview .o_facet_value:contains('Last 12 months')",
        },
        {
            content: "Months without customers are left out",
            trigger: ".o_searchview .o_facet_value:contains('Months with customers')",
        },
    ],
});

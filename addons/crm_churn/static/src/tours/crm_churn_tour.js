import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const CUSTOMER = "Churn Tour Customer";
const FEEDBACK = "Called: the customer finds our prices too high";
const LOST_NOTE = "Moved to a cheaper supplier";

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
    ],
});

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const TO_ASSIGN = "Tour Member To Assign";
const WAITING = "Tour Member Waiting";

/**
 * Loyalty > Members to Assign: a sales manager gives an account manager to
 * a member of a tier that promises one; the member leaves the list.
 */
registry.category("web_tour.tours").add("crm_loyalty_members_to_assign_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open the Sales app"),
        {
            content: "Open the Lifecycle menu",
            trigger:
                ".o_menu_sections button[data-menu-xmlid='crm_lifecycle.crm_lifecycle_menu_root']",
            run: "click",
        },
        {
            content: "Open the members to assign",
            trigger:
                ".dropdown-item[data-menu-xmlid='crm_loyalty.crm_loyalty_members_to_assign_menu']",
            run: "click",
        },
        {
            content: "Both members of the tier with a dedicated account manager wait for one",
            trigger: `.o_list_view .o_data_row:contains('${WAITING}')`,
        },
        {
            content: "Open the member to assign",
            trigger: `.o_list_view .o_data_row:contains('${TO_ASSIGN}') td.o_data_cell`,
            run: "click",
        },
        {
            content: "Open the Loyalty tab",
            trigger: ".o_form_view .o_notebook .nav-link[name='crm_loyalty']",
            run: "click",
        },
        {
            content: "The member's tier",
            trigger:
                ".o_notebook .tab-pane.active .o_field_widget[name='loyalty_tier_id']:contains('Tour Diamond')",
        },
        {
            content: "Choose the account manager",
            trigger:
                ".o_notebook .tab-pane.active .o_field_widget[name='loyalty_account_manager_id'] input",
            run: "edit Tour Account",
        },
        {
            content: "Pick the account manager",
            trigger: ".o-autocomplete--dropdown-item a:contains('Tour Account Manager')",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger:
                ".o_form_view:has(.o_form_status_indicator_buttons.invisible) .o_field_widget[name='loyalty_account_manager_id'] input:value('Tour Account Manager')",
        },
        {
            content: "Back to the members to assign",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('Members to Assign')",
            run: "click",
        },
        {
            content: "The member who has an account manager left the list; the other still waits",
            trigger: `.o_list_view:not(:has(.o_data_row:contains('${TO_ASSIGN}'))) .o_data_row:contains('${WAITING}')`,
        },
    ],
});

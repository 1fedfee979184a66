import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * Lifecycle > Customers as a list, the given customers selected and the
 * Action menu's ``action`` picked (crm_lifecycle_mass_mailing's tour uses
 * it too).
 */
export function lifecycleListActionSteps(customers, action) {
    return [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open the Sales app"),
        {
            content: "Open the Lifecycle menu",
            trigger:
                ".o_menu_sections button[data-menu-xmlid='crm_lifecycle.crm_lifecycle_menu_root']",
            run: "click",
        },
        {
            content: "Open the customers",
            trigger: ".dropdown-item[data-menu-xmlid='crm_lifecycle.crm_lifecycle_profile_menu']",
            run: "click",
        },
        {
            content: "Show them as a list",
            trigger: ".o_control_panel .o_switch_view.o_list",
            run: "click",
        },
        ...customers.map((name) => ({
            content: `Select ${name}`,
            trigger: `.o_list_view .o_data_row:contains('${name}') .o_list_record_selector input`,
            run: "click",
        })),
        {
            content: `${customers.length} customers selected`,
            trigger: `.o_control_panel .o_list_selection_box b:contains('${customers.length}')`,
        },
        {
            content: "Open the Action menu",
            trigger: ".o_control_panel .o_cp_action_menus .dropdown-toggle:has(.fa-cog)",
            run: "click",
        },
        {
            content: `Pick ${action}`,
            trigger: `.o-dropdown--menu .dropdown-item:contains('${action}')`,
            run: "click",
        },
    ];
}

function notInstalledSteps(app) {
    return [
        {
            content: `The action says that ${app} is not installed, and how to install it`,
            trigger: `.modal .o_error_dialog:contains('${app} is not installed: install it (Apps, ${app})')`,
        },
        {
            content: "It is a warning, not a crash",
            trigger: ".modal .o_error_dialog:not(:has(.o_error_detail)) .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The warning is closed",
            trigger: "body:not(:has(.modal))",
        },
    ];
}

/**
 * Without Odoo's Email Marketing (the core addons' database), the campaign
 * actions of the customer lists say what to install.
 */
registry.category("web_tour.tours").add("crm_lifecycle_campaign_tour", {
    url: "/odoo",
    steps: () => [
        ...lifecycleListActionSteps(["Campaign Tour A", "Campaign Tour B"], "Email campaign"),
        ...notInstalledSteps("Email Marketing"),
        {
            content: "The customers are still selected: open the Action menu again",
            trigger:
                ".o_control_panel:has(.o_list_selection_box b:contains('2')) .o_cp_action_menus .dropdown-toggle:has(.fa-cog)",
            run: "click",
        },
        {
            content: "Pick SMS campaign",
            trigger: ".o-dropdown--menu .dropdown-item:contains('SMS campaign')",
            run: "click",
        },
        ...notInstalledSteps("SMS Marketing"),
    ],
});

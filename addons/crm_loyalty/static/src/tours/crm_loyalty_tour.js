import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("crm_loyalty_tour", {
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
            content: "Open the points ledger",
            trigger: ".dropdown-item[data-menu-xmlid='crm_loyalty.crm_loyalty_entry_menu']",
            run: "click",
        },
        {
            content: "The tour member's entry is listed",
            trigger: ".o_list_view .o_data_row:contains('Tour Member')",
        },
        {
            content: "Check the balances",
            trigger: ".o_list_view button:contains('Check balances')",
            run: "click",
        },
        {
            content: "Every card is balanced",
            trigger: ".o_notification:contains('equals its entries')",
        },
        {
            content: "Open the entry",
            trigger: ".o_list_view .o_data_row:contains('Tour Member') td[name='partner_id']",
            run: "click",
        },
        {
            content: "Follow the link to the customer",
            trigger: ".o_form_view .o_field_widget[name='partner_id'] a",
            run: "click",
        },
        {
            content: "Open the Loyalty tab",
            trigger: ".o_notebook .nav-link:contains('Loyalty')",
            run: "click",
        },
        {
            content: "The balance shows",
            trigger:
                ".o_notebook .tab-pane.active .o_field_widget[name='loyalty_ledger_card_ids'] .o_data_row:contains('250')",
        },
        {
            content: "The tier stars show",
            trigger: ".o_notebook .tab-pane.active .o_field_widget[name='loyalty_tier_stars']",
        },
    ],
});

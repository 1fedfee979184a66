import { registry } from "@web/core/registry";

function lifecycleMenu(menuXmlid, content) {
    return [
        {
            content: "Open the Lifecycle menu",
            trigger:
                ".o_menu_sections button[data-menu-xmlid='crm_lifecycle.crm_lifecycle_menu_root']",
            run: "click",
        },
        {
            content,
            trigger: `.dropdown-item[data-menu-xmlid='${menuXmlid}']`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("crm_loyalty_tour", {
    url: "/odoo/action-sale.action_quotations_with_onboarding",
    steps: () => [
        {
            content: "Open the tour member's quotation",
            trigger: ".o_list_view .o_data_row:contains('Tour Member') td[name='partner_id']",
            run: "click",
        },
        {
            content: "The quotation says how many points it earns, and why",
            trigger:
                ".o_field_widget[name='crm_loyalty_points_preview']:contains('100 x 2 (member day) = 200 points')",
        },
        {
            content: "Confirm the quotation",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The order is confirmed",
            trigger: ".o_field_widget[name='state'] .o_arrow_button_current:contains('Sales Order')",
        },
        ...lifecycleMenu("crm_loyalty.crm_loyalty_entry_menu", "Open the points ledger"),
        {
            content: "The multiplied points are in the ledger",
            trigger: ".o_list_view .o_data_row:contains('Tour Member'):contains('member day')",
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
            trigger:
                ".o_list_view .o_data_row:contains('member day') td[name='partner_id']",
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
            content: "The balance includes the multiplied points",
            trigger:
                ".o_notebook .tab-pane.active .o_field_widget[name='loyalty_ledger_card_ids'] .o_data_row:contains('450')",
        },
        {
            content: "The tier stars show",
            trigger: ".o_notebook .tab-pane.active .o_field_widget[name='loyalty_tier_stars']",
        },
    ],
});

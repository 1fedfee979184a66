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
            content: "Start a quotation",
            trigger: ".o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            content: "For the tour member",
            trigger: ".o_field_widget[name='partner_id'] input",
            run: "edit Tour Member",
        },
        {
            content: "Pick the member",
            trigger: ".o-autocomplete--dropdown-item a:contains('Tour Member')",
            run: "click",
        },
        {
            content: "Add a line",
            trigger: ".o_field_x2many_list_row_add a:contains('Add a product')",
            run: "click",
        },
        {
            content: "Sell the ledger product",
            trigger: ".o_data_row .o_field_widget[name='product_template_id'] input",
            run: "edit Ledger product",
        },
        {
            content: "Pick the product",
            trigger: ".o-autocomplete--dropdown-item a:contains('Ledger product')",
            run: "click",
        },
        {
            content:
                "As soon as it has a line, the quotation says how many points it earns, and why",
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
            content: "The multiplied points are in the ledger, in whole points",
            trigger:
                ".o_list_view .o_data_row:contains('Tour Member'):contains('100 x 2 (member day) = 200 points') td[name='points']:contains('200')",
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
            content: "The balance includes the multiplied points, in whole points",
            trigger:
                ".o_notebook .tab-pane.active .o_field_widget[name='loyalty_ledger_card_ids'] .o_data_row:contains('450 Points')",
        },
        {
            content: "The latest entries come right under their heading",
            trigger:
                ".o_notebook .tab-pane.active .o_crm_loyalty_entries_title:contains('Latest ledger entries') + .o_field_widget[name='loyalty_recent_entry_ids'] .o_data_row:contains('member day')",
        },
        {
            content: "The tier history has a heading of its own",
            trigger:
                ".o_notebook .tab-pane.active .o_crm_loyalty_tier_history_title:contains('Tier history') + .o_field_widget[name='loyalty_tier_history_ids'] .o_data_row",
        },
        {
            content: "The tier stars show",
            trigger: ".o_notebook .tab-pane.active .o_field_widget[name='loyalty_tier_stars']",
        },
        ...lifecycleMenu("crm_loyalty.crm_loyalty_settings_menu", "Open the loyalty settings"),
        {
            content: "Loyalty has its own place in Settings",
            trigger: ".settings_tab .tab[data-key='crm_loyalty']:contains('Loyalty')",
        },
        {
            content: "Points are whole by default",
            trigger:
                ".o_setting_box:contains('Point decimals') .o_field_widget[name='crm_loyalty_point_digits'] input:value(0)",
        },
        {
            content: "Every number says its unit",
            trigger:
                ".o_setting_box:contains('Yearly requalification'):contains('days after the end of the year'):contains('days before the end of the year')",
        },
        {
            content: "Open the Products menu",
            trigger:
                ".o_menu_sections button[data-menu-xmlid='sale.product_menu_catalog']",
            run: "click",
        },
        {
            content: "Open the loyalty programs",
            trigger:
                ".dropdown-item[data-menu-xmlid='sale_loyalty.menu_discount_loyalty_type_config']",
            run: "click",
        },
        {
            content: "Open the ledger program",
            trigger: ".o_list_view .o_data_row:contains('Ledger Loyalty') td[name='name']",
            run: "click",
        },
        {
            content: "Open its Points Ledger tab",
            trigger: ".o_notebook .nav-link:contains('Points Ledger')",
            run: "click",
        },
        {
            content: "Behaviour points have a title",
            trigger:
                ".tab-pane.active .o_horizontal_separator:contains('Behaviour points') ~ .o_field_widget[name='crm_behaviour_ids']",
        },
        {
            content: "Greetings have a title",
            trigger:
                ".tab-pane.active .o_horizontal_separator:contains('Greetings') ~ .o_field_widget[name='crm_greeting_ids']",
        },
        {
            content: "Campaigns have a title",
            trigger:
                ".tab-pane.active .o_horizontal_separator:contains('Campaigns') ~ .o_field_widget[name='crm_campaign_ids']",
        },
    ],
});

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * Settings > Loyalty > Retail China: a sales manager applies the preset
 * with Friday as the member day and finds its tiers under Member Tiers.
 * Only what crm_loyalty shows is checked: crm_journey and crm_churn add
 * lines of their own to the result when installed.
 */
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

registry.category("web_tour.tours").add("crm_loyalty_preset_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open the Sales app"),
        ...lifecycleMenu("crm_loyalty.crm_loyalty_settings_menu", "Open the loyalty settings"),
        {
            content: "The Retail China preset is offered in the loyalty settings",
            trigger: "#crm_retail_china_preset button:contains('Apply the preset')",
            run: "click",
        },
        {
            content: "The wizard says what the preset does",
            trigger: ".modal .o_form_view:contains('Bronze, Silver (9折) and Gold (8折) tiers')",
        },
        {
            content: "Wednesday is the member day unless told otherwise",
            trigger: ".modal .o_field_widget[name='member_weekday'] select:has(option:selected:contains('Wednesday'))",
        },
        {
            content: "Make Friday the member day",
            trigger: ".modal .o_field_widget[name='member_weekday'] select",
            run: "selectByLabel Friday",
        },
        {
            content: "Apply the preset",
            trigger: ".modal .modal-footer button[name='action_apply']",
            run: "click",
        },
        {
            content: "The wizard says what it did: the member day is Friday",
            trigger:
                ".modal .o_field_widget[name='result']:contains('member day ×2 every Friday'):contains('birthday month ×3')",
        },
        {
            content: "...and the tiers on the amount spent in the calendar year",
            trigger:
                ".modal .o_field_widget[name='result']:contains('Gold from 10,000 yuan, kept by 10,000 yuan a year (8折)')",
        },
        {
            content: "Nothing is left to apply",
            trigger: ".modal .modal-footer:not(:has(button[name='action_apply']))",
        },
        {
            content: "Close the wizard",
            trigger: ".modal .modal-footer button:contains('Close')",
            run: "click",
        },
        {
            content: "The wizard is closed",
            trigger: "body:not(:has(.modal))",
        },
        ...lifecycleMenu("crm_loyalty.crm_loyalty_tier_menu", "Open the member tiers"),
        {
            content: "Silver from 3,000 with its 9折 pricelist",
            trigger:
                ".o_list_view .o_data_row:has(td[name='name']:contains('Silver')):has(td[name='threshold']:contains('3,000')):has(td[name='pricelist_id']:contains('Silver members'))",
        },
        {
            content: "Gold from 10,000, kept by 10,000, with its 8折 pricelist",
            trigger:
                ".o_list_view .o_data_row:has(td[name='name']:contains('Gold')):has(td[name='threshold']:contains('10,000')):has(td[name='retention_threshold']:contains('10,000')):has(td[name='pricelist_id']:contains('Gold members'))",
        },
    ],
});

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const CUSTOMER = "Nps Tour Customer";

registry.category("web_tour.tours").add("crm_lifecycle_survey_tour", {
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
            content: "Open the NPS report",
            trigger:
                ".dropdown-item[data-menu-xmlid='crm_lifecycle_survey.crm_nps_answer_menu_nps']",
            run: "click",
        },
        {
            content: "The NPS by month, with the number of answers",
            trigger: ".o_pivot_view .o_pivot th:contains('Count')",
        },
        {
            content: "The answers themselves",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "An answer with its words",
            trigger: `.o_list_view .o_data_row:contains('${CUSTOMER}'):contains('Friendly staff') .o_data_cell[name='score']`,
            run: "click",
        },
        {
            content: "Open its customer",
            trigger: ".o_form_view .o_field_widget[name='partner_id'] .o_form_uri",
            run: "click",
        },
        {
            content: "The customer's form",
            trigger: `.o_form_view .o_field_widget[name='name']:contains('${CUSTOMER}'), .o_form_view .o_field_widget[name='name'] input`,
        },
        {
            content: "The NPS answers button",
            trigger: "button[name='action_open_nps_answers']:contains('1')",
        },
    ],
});

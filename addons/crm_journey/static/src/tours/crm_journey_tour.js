import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const JOURNEY = "90 days without an order: a coupon";
const CUSTOMER = "Journey Tour Customer";

registry.category("web_tour.tours").add("crm_journey_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open the Sales app"),
        {
            content: "Open the Journeys menu",
            trigger:
                ".o_menu_sections button[data-menu-xmlid='crm_journey.crm_journey_menu_root']",
            run: "click",
        },
        {
            content: "Open the journeys",
            trigger: ".dropdown-item[data-menu-xmlid='crm_journey.crm_journey_menu']",
            run: "click",
        },
        {
            content: "The ready journey waits among the drafts",
            trigger: `.o_kanban_record:contains('${JOURNEY}')`,
            run: "click",
        },
        {
            content: "Its steps: a coupon, a wait, a call",
            trigger: ".o_field_one2many[name='step_ids'] .o_data_row:nth-child(3)",
        },
        {
            content: "Start it",
            trigger: "button[name='action_start']",
            run: "click",
        },
        {
            content: "Running",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Running')",
        },
        {
            content: "Run it now",
            trigger: "button[name='action_run_now']",
            run: "click",
        },
        {
            content: "The night's figures",
            trigger: ".o_notification:contains('entered a journey')",
        },
        {
            content: "Open the customers who entered",
            trigger: "button[name='action_open_participants']",
            run: "click",
        },
        {
            content: "The customer who got the coupon",
            trigger: `.o_list_view .o_data_row:contains('${CUSTOMER}') .o_data_cell[name='partner_id']`,
            run: "click",
        },
        {
            content: "The coupon step is done, the call is next",
            trigger: ".o_form_view .o_field_one2many[name='trace_ids'] .o_data_row:contains('Coupon')",
        },
        {
            content: "Open the customer",
            trigger: ".o_form_view .o_field_widget[name='partner_id'] .o_form_uri",
            run: "click",
        },
        {
            content: "The customer's form, with the journey",
            trigger: `.o_form_view .o_field_widget[name='name']:contains('${CUSTOMER}'), .o_form_view .o_field_widget[name='name'] input`,
        },
        {
            content: "The Journeys button",
            trigger: "button[name='action_open_journeys']",
        },
    ],
});

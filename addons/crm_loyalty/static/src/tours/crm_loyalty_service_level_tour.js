import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * Loyalty > Service Levels: a sales manager reads the activities of the
 * tiers' service levels per tier and per salesperson, then as a graph.
 */
registry.category("web_tour.tours").add("crm_loyalty_service_level_tour", {
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
            content: "Open the service levels",
            trigger:
                ".dropdown-item[data-menu-xmlid='crm_loyalty.crm_loyalty_service_report_menu']",
            run: "click",
        },
        {
            content: "The tier is a row of the pivot",
            trigger: ".o_pivot th.o_pivot_header_cell_opened:contains('Gold')",
        },
        {
            content: "Its salesperson under it",
            trigger: ".o_pivot th:contains('SLA Tour Salesperson')",
        },
        {
            content: "The share done in time is a measure",
            trigger: ".o_pivot th.o_pivot_measure_row:contains('Done in time (%)')",
        },
        {
            content: "Switch to the graph",
            trigger: ".o_switch_view.o_graph",
            run: "click",
        },
        {
            content: "The graph is drawn",
            trigger: ".o_graph_renderer canvas",
        },
        {
            content: "Switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "Each activity of the member is a line",
            trigger: ".o_list_view .o_data_row:contains('SLA Gold Member')",
        },
    ],
});

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// The dashboard's repurchase rate cell and the figure the Python test set up.
const REPURCHASE_CELL = { col: 1, row: 14 }; // B15
const EXPECTED = 50;

/** The spreadsheet model of the open dashboard, found in the component tree
 * (the grid is a canvas: its cells are not in the DOM). */
function dashboardModel() {
    const stack = [odoo.__WOWL_DEBUG__.root.__owl__];
    while (stack.length) {
        const node = stack.pop();
        const dashboard = node.component?.state?.activeDashboard;
        if (dashboard?.model && dashboard.displayName === "Customer Lifecycle") {
            return dashboard.model;
        }
        stack.push(...Object.values(node.children));
    }
    return undefined;
}

registry.category("web_tour.tours").add("crm_lifecycle_dashboard_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps(
            "spreadsheet_dashboard.spreadsheet_dashboard_menu_root",
            "Open the Dashboards app"
        ),
        {
            content: "Open the Customer Lifecycle dashboard",
            trigger: ".o_search_panel_category_value[data-name='Customer Lifecycle']",
            run: "click",
        },
        {
            content: "The dashboard is drawn",
            trigger:
                ".o_search_panel_category_value.active[data-name='Customer Lifecycle']",
        },
        {
            content: "The repurchase rate is the snapshot's",
            trigger: ".o_spreadsheet_dashboard_action .o-grid",
            run: async () => {
                let value;
                for (let attempt = 0; attempt < 100; attempt++) {
                    const model = dashboardModel();
                    if (model) {
                        const sheetId = model.getters.getActiveSheetId();
                        value = model.getters.getEvaluatedCell({
                            sheetId,
                            ...REPURCHASE_CELL,
                        }).value;
                        if (value === EXPECTED) {
                            return;
                        }
                    }
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                throw new Error(`Repurchase rate cell shows ${value}, not ${EXPECTED}`);
            },
        },
        {
            content: "No cell of the dashboard is in error once loaded",
            trigger: ".o_spreadsheet_dashboard_action .o-grid",
            run: async () => {
                let errors = [];
                for (let attempt = 0; attempt < 100; attempt++) {
                    const model = dashboardModel();
                    const sheetId = model.getters.getActiveSheetId();
                    errors = model.getters
                        .getEvaluatedCellsPositions(sheetId)
                        .map((position) => [position, model.getters.getEvaluatedCell(position)])
                        .filter(([, cell]) => cell.type === "error")
                        .map(
                            ([{ col, row }, cell]) =>
                                `${col},${row}: ${cell.value} ${cell.message || ""}`
                        );
                    if (!errors.length) {
                        return;
                    }
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                throw new Error(`Cells in error: ${errors.join("; ")}`);
            },
        },
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open the Sales app"),
        {
            content: "Open the Lifecycle menu",
            trigger:
                ".o_menu_sections button[data-menu-xmlid='crm_lifecycle.crm_lifecycle_menu_root']",
            run: "click",
        },
        {
            content: "Open the KPI snapshots",
            trigger:
                ".dropdown-item[data-menu-xmlid='crm_lifecycle_dashboard.crm_lifecycle_kpi_menu']",
            run: "click",
        },
        {
            content: "Compute today's snapshot again",
            trigger: ".o_list_view button[name='action_compute_now']",
            run: "click",
        },
        {
            content: "The manager is told it is done",
            trigger: ".o_notification:contains('computed for 1 company')",
        },
        {
            content: "The snapshot is listed with its repurchase rate",
            trigger: ".o_list_view .o_data_row .o_data_cell[name='repurchase_rate']:contains('50.00')",
        },
    ],
});

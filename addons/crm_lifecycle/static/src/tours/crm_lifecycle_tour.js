import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const STAGES = ["Prospect", "New", "Active", "Loyal", "At risk", "Dormant", "Churned", "Won back"];
// Stages over Time: colours that mean something (lifecycle_stage_graph.js).
const STAGE_COLORS = {
    Active: "#52b788",
    Loyal: "#1b7a4a",
    "At risk": "#f2a900",
    Dormant: "#e8743b",
    Churned: "#d1453b",
};

function openLifecycleMenu(menuXmlid, content) {
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

function columnTitles() {
    return [...document.querySelectorAll(".o_kanban_group .o_column_title")].map((title) =>
        title.textContent.replace(/\(\d+\)/, "").trim()
    );
}

function checkColumnOrder() {
    const titles = columnTitles();
    if (JSON.stringify(titles) !== JSON.stringify(STAGES)) {
        throw new Error(`Kanban columns out of lifecycle order: ${titles.join(", ")}`);
    }
}

function customersKanbanSteps() {
    return [
        ...openLifecycleMenu("crm_lifecycle.crm_lifecycle_profile_menu", "Open the customers"),
        {
            content: "The customers open on the salesperson's own",
            trigger: ".o_searchview_facet:contains('My customers')",
        },
        {
            content: "Every stage is a column, in lifecycle order",
            trigger: ".o_kanban_renderer .o_kanban_group:nth-child(8) .o_column_title",
            run: checkColumnOrder,
        },
    ];
}

registry.category("web_tour.tours").add("crm_lifecycle_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open the Sales app"),
        ...customersKanbanSteps(),
        {
            content: "A manager removes My customers to see everyone's",
            trigger: ".o_searchview_facet:contains('My customers') .o_facet_remove",
            run: "click",
        },
        {
            content: "Search the tour customer",
            trigger: ".o_searchview_input",
            run: "edit Tour Customer",
        },
        {
            content: "Apply the search",
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: "The card's tags say what they are: a segment and a value class",
            trigger:
                ".o_kanban_record:contains('Tour Customer'):has(.o_lifecycle_segment_tag:contains('Segment:')):has(.o_lifecycle_value_tag:contains('Value:'))",
        },
        {
            content: "Open the tour customer's profile",
            trigger: ".o_kanban_record:contains('Tour Customer')",
            run: "click",
        },
        {
            content: "The profile's badges are labelled too",
            trigger: ".o_form_view .oe_title:contains('Stage'):contains('Segment'):contains('Value')",
        },
        {
            content: "Follow the link to the customer",
            trigger: ".o_form_view .o_field_widget[name='partner_id'] a",
            run: "click",
        },
        {
            content: "Open the Lifecycle tab",
            trigger: ".o_notebook .nav-link:contains('Lifecycle')",
            run: "click",
        },
        {
            content: "The stage badge shows",
            trigger:
                ".o_notebook .tab-pane.active .o_field_widget[name='lifecycle_stage']:contains('Active')",
        },
        {
            content: "The stage history shows",
            trigger:
                ".o_notebook .tab-pane.active .o_field_widget[name='lifecycle_stage_history_ids'] .o_data_row",
        },
        ...openLifecycleMenu(
            "crm_lifecycle.crm_lifecycle_stage_report_menu",
            "Open the stages-over-time analysis"
        ),
        {
            content: "Stages are coloured by meaning and counted in whole numbers",
            trigger: ".o_graph_view .o_graph_renderer canvas",
            run() {
                const chart = window.Chart?.getChart(this.anchor);
                if (!chart) {
                    throw new Error("No chart drawn");
                }
                const labels = chart.data.datasets.map((dataset) => dataset.label);
                const order = labels.filter((label) => STAGES.includes(label));
                const sorted = [...order].sort((a, b) => STAGES.indexOf(a) - STAGES.indexOf(b));
                if (!order.length || JSON.stringify(order) !== JSON.stringify(sorted)) {
                    throw new Error(`Series out of lifecycle order: ${labels.join(", ")}`);
                }
                for (const dataset of chart.data.datasets) {
                    const expected = STAGE_COLORS[dataset.label];
                    if (expected && dataset.borderColor !== expected) {
                        throw new Error(`${dataset.label} drawn in ${dataset.borderColor}`);
                    }
                }
                const ticks = chart.scales.y.ticks.map((tick) => String(tick.label));
                if (ticks.some((label) => /[.,]\d\d$/.test(label))) {
                    throw new Error(`Counts with decimals: ${ticks.join(" ")}`);
                }
            },
        },
        ...openLifecycleMenu(
            "crm_lifecycle.crm_lifecycle_transitions_menu",
            "Open the transitions analysis"
        ),
        {
            content: "The transitions table says which axis is from and which is to",
            trigger:
                ".o_pivot_view .o_crm_lifecycle_pivot_axes:has(.o_crm_lifecycle_pivot_rows:contains('From stage')):has(.o_crm_lifecycle_pivot_cols:contains('To stage'))",
        },
        ...openLifecycleMenu(
            "crm_lifecycle.crm_lifecycle_segments_menu",
            "Open the segments analysis"
        ),
        {
            content: "Customers without a segment are left out by a filter",
            trigger: ".o_searchview_facet:contains('With a segment')",
        },
        {
            content: "Segments and Value counts the customers, and has no None row",
            trigger: ".o_pivot_view .o_pivot th.o_pivot_measure_row:contains('Count')",
            run() {
                const rows = [...document.querySelectorAll(".o_pivot tbody th")].map((th) =>
                    th.textContent.trim()
                );
                if (rows.includes("None")) {
                    throw new Error(`A None row: ${rows.join(", ")}`);
                }
                if (document.querySelectorAll(".o_pivot thead th.o_pivot_measure_row").length > 3) {
                    throw new Error("Segments and Value is wider than its three measures");
                }
            },
        },
        ...openLifecycleMenu(
            "crm_lifecycle.crm_lifecycle_segment_export_menu",
            "Open the segment report export"
        ),
        {
            content: "Export the workbook",
            trigger: ".modal .modal-footer button:contains('Export')",
            run: "click",
        },
        {
            content: "The dialog closes once the download started",
            trigger: "body:not(:has(.modal .o_form_view))",
        },
        ...openLifecycleMenu(
            "crm_lifecycle.crm_purchase_model_menu",
            "Open the purchase models"
        ),
        {
            content: "Nobody creates a purchase model by hand, and each says how it predicted",
            trigger:
                ".o_list_view:not(:has(.o_list_button_add)) th[data-name='holdout_result']",
        },
        ...openLifecycleMenu("crm_lifecycle.crm_lifecycle_run_menu", "Open the recompute runs"),
        {
            content: "Recompute now",
            trigger: ".o_list_view button:contains('Recompute now')",
            run: "click",
        },
        {
            content: "The customers were recomputed",
            trigger: ".o_notification:contains('customers recomputed')",
        },
        ...openLifecycleMenu("crm_lifecycle.crm_lifecycle_settings_menu", "Open the settings"),
        {
            content: "Numbers say their unit",
            trigger:
                ".o_setting_box:contains('New and won back'):contains('days after the first order'):has(.o_field_widget[name='lifecycle_new_days'])",
        },
        {
            content: "The nightly hour says its time zone",
            trigger:
                ".o_setting_box:contains('Nightly recompute'):contains('Time zone:') .o_field_widget[name='lifecycle_nightly_tz']",
        },
        {
            content: "Update customers as each order is confirmed: the choice reads whole",
            trigger:
                ".o_setting_box:contains('After each order') .o_field_widget[name='lifecycle_refresh_on_order'] label:contains('As the order is confirmed')",
            run: "click",
        },
        {
            content: "The change is not saved yet",
            trigger: ".o_dirty_warning:contains('Unsaved changes')",
        },
        {
            content: "Save",
            trigger: ".o_control_panel .o_form_button_save",
            run() {
                // Saving settings reloads the whole page: this mark goes
                // with the old one, so the next step reads the saved value.
                document.body.dataset.crmLifecycleUnsaved = "1";
                this.anchor.click();
            },
        },
        {
            content: "The page reloaded with the new choice saved",
            trigger:
                "body:not([data-crm-lifecycle-unsaved]) .o-settings-form-view:not(:has(.o_dirty_warning)) .o_field_widget[name='lifecycle_refresh_on_order'] input[data-value='confirm']:checked",
        },
    ],
});

/**
 * A salesperson with one customer: the kanban opens on that customer's
 * stage, every other stage folded, in lifecycle order.
 */
registry.category("web_tour.tours").add("crm_lifecycle_salesperson_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open the Sales app"),
        ...customersKanbanSteps(),
        {
            content: "The salesperson's customer is in the open Active column",
            trigger:
                ".o_kanban_group:not(.o_column_folded):contains('Active') .o_kanban_record:contains('Tour Customer')",
        },
        {
            content: "Stages without the salesperson's customers are folded",
            trigger: ".o_kanban_group.o_column_folded",
            run() {
                const open = [
                    ...document.querySelectorAll(".o_kanban_group:not(.o_column_folded)"),
                ].map((group) => group.querySelector(".o_column_title").textContent);
                const folded = document.querySelectorAll(".o_kanban_group.o_column_folded");
                if (open.length !== 1 || !open[0].includes("Active") || folded.length !== 7) {
                    throw new Error(`Open columns: ${open.join(", ")}`);
                }
            },
        },
    ],
});

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

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

registry.category("web_tour.tours").add("crm_lifecycle_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open the Sales app"),
        ...openLifecycleMenu(
            "crm_lifecycle.crm_lifecycle_stage_report_menu",
            "Open the stages-over-time analysis"
        ),
        {
            content: "The analysis graph is drawn",
            trigger: ".o_graph_view .o_graph_renderer canvas",
        },
        ...openLifecycleMenu(
            "crm_lifecycle.crm_lifecycle_transitions_menu",
            "Open the transitions analysis"
        ),
        {
            content: "The transitions pivot is drawn",
            trigger: ".o_pivot_view .o_pivot table",
        },
        ...openLifecycleMenu("crm_lifecycle.crm_lifecycle_profile_menu", "Open the customers"),
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
            content: "Open the tour customer's profile",
            trigger: ".o_kanban_record:contains('Tour Customer')",
            run: "click",
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
            content: "Update customers as each order is confirmed",
            trigger:
                ".o_setting_box:contains('After each order') .o_field_widget[name='lifecycle_refresh_on_order'] select",
            run: 'select "confirm"',
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
                "body:not([data-crm-lifecycle-unsaved]) .o-settings-form-view:not(:has(.o_dirty_warning)) .o_field_widget[name='lifecycle_refresh_on_order'] select:has(option:selected:contains('As the order is confirmed'))",
        },
    ],
});

import { registry } from "@web/core/registry";
import { lifecycleListActionSteps } from "@crm_lifecycle/tours/crm_lifecycle_campaign_tour";

/**
 * With Odoo's Email Marketing: the lifecycle list's Email campaign opens a
 * new mailing to the selected customers, less the one who asked for no
 * marketing.
 */
registry.category("web_tour.tours").add("crm_lifecycle_mass_mailing_tour", {
    url: "/odoo",
    steps: () => [
        ...lifecycleListActionSteps(
            ["Mailing Tour A", "Mailing Tour B", "Mailing Tour No Marketing"],
            "Email campaign"
        ),
        {
            content: "A new mailing, named after its three customers",
            trigger:
                ".o_form_view .o_field_widget[name='subject'] input:value('Campaign to 3 customers')",
        },
        {
            content: "It goes to contacts",
            trigger: ".o_form_view .o_field_widget[name='mailing_model_id'] input:value('Contact')",
        },
        {
            content: "Two recipients: the customer who asked for no marketing is left out",
            trigger:
                ".o_form_view .o_field_widget[name='mailing_domain'] .o_domain_show_selection_button:contains('2 record(s)')",
            run: "click",
        },
        {
            content: "The recipients are the two customers who accept marketing",
            trigger:
                ".modal .o_list_view:has(.o_data_row:contains('Mailing Tour A')):has(.o_data_row:contains('Mailing Tour B')):not(:has(.o_data_row:contains('No Marketing')))",
        },
        {
            content: "Close the recipients",
            trigger: ".modal .modal-header .btn-close",
            run: "click",
        },
        {
            content: "The mailing is a draft, to write and send",
            trigger:
                ".o_form_view .o_field_widget[name='state'] .o_arrow_button_current:contains('Draft')",
        },
        {
            content: "Its body offers the email themes to start from",
            trigger: ":iframe .o_mail_theme_selector_new",
        },
        {
            // The editor's blocks load last: the tour ends once they are in.
            content: "The email editor is loaded",
            trigger: "body:has(#oe_snippets.o_loaded)",
        },
    ],
});

import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const CUSTOMER = "PIPL Tour Customer";
const CONTACT = "PIPL Tour Contact";

/**
 * The customer's Lifecycle tab, personal data on request: a sales manager
 * exports the customer's data (the file is downloaded), then anonymises
 * the customer through the confirmation.
 */
registry.category("web_tour.tours").add("crm_lifecycle_personal_data_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open the Sales app"),
        {
            content: "Open the Orders menu",
            trigger: ".o_menu_sections button[data-menu-xmlid='sale.sale_order_menu']",
            run: "click",
        },
        {
            content: "Open the customers",
            trigger: ".dropdown-item[data-menu-xmlid='sale.res_partner_menu']",
            run: "click",
        },
        {
            content: "Search the customer",
            trigger: ".o_searchview_input",
            run: `edit ${CUSTOMER}`,
        },
        {
            content: "Apply the search",
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: "Open the customer",
            trigger: `.o_kanban_record:contains('${CUSTOMER}')`,
            run: "click",
        },
        {
            content: "Open the Lifecycle tab",
            trigger: ".o_form_view .o_notebook .nav-link[name='lifecycle']",
            run: "click",
        },
        {
            content: "Export the personal data",
            trigger:
                ".o_notebook .tab-pane.active [name='lifecycle_personal_data'] button[name='action_lifecycle_export_personal_data']",
            run() {
                // The web client downloads the file by moving the page to its
                // address (browser.location.assign); the test browser refuses
                // downloads, so the address is kept for the next step to read.
                const location = window.location;
                // A proxy of an empty object: Location's own properties
                // cannot be redefined through a proxy of it.
                const recorder = new Proxy(
                    {},
                    {
                        get(target, property) {
                            if (property === "assign") {
                                return (url) => {
                                    document.body.dataset.crmLifecycleDownload = url;
                                };
                            }
                            const value = location[property];
                            return typeof value === "function" ? value.bind(location) : value;
                        },
                        set(target, property, value) {
                            location[property] = value;
                            return true;
                        },
                    }
                );
                Object.defineProperty(browser, "location", {
                    get: () => recorder,
                    set: (value) => {
                        window.location = value;
                    },
                    configurable: true,
                });
                this.anchor.click();
            },
        },
        {
            content: "The export downloads a JSON file holding the customer and the contact",
            trigger: "body[data-crm-lifecycle-download]",
            async run() {
                const url = document.body.dataset.crmLifecycleDownload;
                Object.defineProperty(browser, "location", {
                    get: () => window.location,
                    set: (value) => {
                        window.location = value;
                    },
                    configurable: true,
                });
                delete document.body.dataset.crmLifecycleDownload;
                if (!/^\/crm_lifecycle\/personal-data\/\d+$/.test(url)) {
                    throw new Error(`The export went to ${url}, not to a download`);
                }
                const response = await fetch(url);
                const disposition = response.headers.get("Content-Disposition") || "";
                if (!response.ok || !disposition.startsWith("attachment")) {
                    throw new Error(`The export is not a download: ${response.status} ${disposition}`);
                }
                const data = await response.json();
                const names = (data.customer || []).map((row) => row.name).sort();
                if (JSON.stringify(names) !== JSON.stringify([CONTACT, CUSTOMER])) {
                    throw new Error(`The export holds ${names.join(", ")}`);
                }
                if (!Array.isArray(data.lifecycle) || !data.lifecycle.length) {
                    throw new Error("The export has no lifecycle figures");
                }
            },
        },
        {
            content: "Anonymise the customer",
            trigger:
                ".o_notebook .tab-pane.active [name='lifecycle_personal_data'] button[name='action_lifecycle_anonymise']",
            run: "click",
        },
        {
            content: "Confirm: the dialog says what is erased and what stays",
            trigger:
                ".modal:contains('Erase this customer'):contains('Their purchases, figures and loyalty balances stay') .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The customer has no name any more",
            trigger: ".o_form_view .o_field_widget[name='name'] input:value('Anonymised customer')",
        },
        {
            content: "The tab says when the customer was anonymised, and offers no second time",
            trigger:
                ".o_notebook .tab-pane.active [name='lifecycle_personal_data']:not(:has(button[name='action_lifecycle_anonymise'])) .o_field_widget[name='lifecycle_anonymised_on']",
        },
    ],
});

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_loyalty_portal_tour", {
    url: "/my/home",
    steps: () => [
        {
            content: "The loyalty tile has its pictogram",
            trigger: "a[href='/my/loyalty'] .o_portal_icon img[src$='loyalty.svg']",
        },
        {
            content: "Open the loyalty points page from the portal home",
            trigger: "a[href='/my/loyalty']",
            run: "click",
        },
        {
            content: "The breadcrumb says where the customer is",
            trigger: ".breadcrumb .breadcrumb-item.active:contains('Loyalty points')",
        },
        {
            content: "The balance shows in whole points",
            trigger: "#crm_loyalty_balances .o_loyalty_balance:contains('2,099 Points')",
        },
        {
            content: "The progress towards the next tier shows",
            trigger: "#crm_loyalty_progress .o_loyalty_progress_text:contains('1,201 more points to Gold')",
        },
        {
            content: "The history shows the customer's own entry",
            trigger: ".o_loyalty_entry:contains('Birthday gift shop')",
        },
        {
            content: "Back home through the breadcrumb",
            trigger: ".breadcrumb a[href='/my/home']",
            run: "click",
        },
        {
            content: "Home again",
            trigger: "a[href='/my/loyalty']",
        },
    ],
});

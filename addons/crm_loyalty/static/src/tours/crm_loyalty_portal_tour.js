import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_loyalty_portal_tour", {
    url: "/my/home",
    steps: () => [
        {
            content: "Open the loyalty points page from the portal home",
            trigger: "a[href='/my/loyalty']",
            run: "click",
        },
        {
            content: "The balance shows",
            trigger: "#crm_loyalty_balances .o_loyalty_balance:contains('300')",
        },
        {
            content: "The history shows the customer's own entry",
            trigger: ".o_loyalty_entry:contains('Birthday gift shop')",
        },
    ],
});

import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";
import * as tourUtils from "@website_sale/js/tours/tour_utils";

// The code read in the mall, kept across the page loads of the tour.
const CODE_KEY = "crm_loyalty_website_sale_mall_tour.code";

registry.category("web_tour.tours").add("crm_loyalty_website_sale_mall_tour", {
    url: "/my/loyalty/mall",
    steps: () => [
        {
            content: "The mall offers the reward the balance can pay",
            trigger:
                ".o_loyalty_mall_item:contains('20 off your next order') .o_loyalty_mall_cost:contains('100')",
        },
        {
            content: "Exchange 100 points for it",
            trigger: ".o_loyalty_mall_item:contains('20 off your next order') .o_loyalty_mall_exchange",
            run: "click",
        },
        {
            content: "The mall shows the code; remember it",
            trigger: "#crm_loyalty_mall_new_code .o_loyalty_code",
            run() {
                const code = this.anchor.textContent.trim();
                if (!code) {
                    throw new Error("The mall showed no code");
                }
                browser.localStorage.setItem(CODE_KEY, code);
            },
        },
        {
            content: "Go shopping",
            trigger: "body",
            run: "goToUrl /shop?search=Ledger%20product",
        },
        ...tourUtils.addToCart({ productName: "Ledger product", search: false }),
        tourUtils.goToCart(),
        {
            content: "The cart says the points the order earns",
            trigger: ".o_crm_loyalty_points_preview:contains('(member day)')",
        },
        {
            content: "Enter the code from the mall",
            trigger: "form[name='coupon_code'] input[name='promo']",
            async run(helpers) {
                await helpers.edit(browser.localStorage.getItem(CODE_KEY));
            },
        },
        {
            content: "Apply it",
            trigger: "form[name='coupon_code'] .a-submit",
            run: "click",
        },
        {
            content: "The code is accepted",
            trigger: ".alert-success:contains('You have successfully applied the following code')",
        },
        {
            content: "The discount line is in the cart",
            trigger: "#cart_products .o_cart_product:contains('20 off from the points mall')",
        },
        {
            content: "The total is 20 less",
            trigger: "tr#order_total .oe_currency_value:contains(/^80.00$/)",
            run() {
                browser.localStorage.removeItem(CODE_KEY);
            },
        },
    ],
});

import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";
import * as PartnerList from "@point_of_sale/../tests/tours/utils/partner_list_util";
import * as PaymentScreen from "@point_of_sale/../tests/tours/utils/payment_screen_util";
import * as ProductScreen from "@point_of_sale/../tests/tours/utils/product_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/tours/utils/receipt_screen_util";
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_loyalty_pos_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            ProductScreen.clickPartnerButton(),
            PartnerList.searchCustomerValue("Star Member"),
            {
                content: "the customer list shows the member's tier as stars",
                trigger: '.partner-line:contains("Star Member") .crm-loyalty-stars:contains("★★★")',
            },
            ProductScreen.clickCustomer("Star Member"),
            ProductScreen.addOrderline("Whiteboard Pen", "10"),
            {
                content: "the member panel shows the stars and the tier",
                trigger: '.crm-loyalty-member .crm-loyalty-tier:contains("★★★"):contains("Gold")',
            },
            {
                content: "the member panel shows the balance",
                trigger: '.crm-loyalty-member .crm-loyalty-balance:contains("100")',
            },
            {
                content: "the member panel shows the points expiring within 30 days",
                trigger: '.crm-loyalty-member .crm-loyalty-expiring:contains("100")',
            },
            {
                content: "the points the order earns, and why, before payment",
                trigger: '.crm-loyalty-why:contains("32 × 3 (birthday month) = 96")',
            },
            {
                content: "pos_loyalty's counter shows the multiplied points",
                trigger: '.loyalty-points-won:contains("96")',
            },
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Bank"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.isShown(),
            {
                content: "the receipt shows the member's stars and the ledger's new balance",
                trigger: '.crm-loyalty-receipt:contains("★★★"):contains("196")',
            },
            {
                content:
                    "the receipt keeps the points expiring within 30 days, worked out by the till",
                trigger:
                    '.crm-loyalty-receipt div:contains("Expiring within 30 days"):contains("100")',
            },
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});

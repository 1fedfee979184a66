import { PartnerLine } from "@point_of_sale/app/screens/partner_list/partner_line/partner_line";
import { patch } from "@web/core/utils/patch";

patch(PartnerLine.prototype, {
    /** The customer's tier in the till's company, as stars. */
    crmStars(partner) {
        const tier = partner.loyalty_tier_id;
        return tier ? "★".repeat(parseInt(tier.stars || "0")) : "";
    },
});

import { patch } from "@web/core/utils/patch";
import { PaymentScreen } from "@point_of_sale/app/screens/payment_screen/payment_screen";

patch(PaymentScreen.prototype, {
    /**
     * After pos_loyalty confirmed the order's points, read the member's new
     * balance and expiring points before the receipt shows them.
     */
    async _postPushOrderResolve(order) {
        const result = await super._postPushOrderResolve(...arguments);
        await this.pos.crmLoyaltyFetchMember(order?.get_partner());
        return result;
    },
});

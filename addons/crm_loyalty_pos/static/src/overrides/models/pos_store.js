import { patch } from "@web/core/utils/patch";
import { PosStore } from "@point_of_sale/app/store/pos_store";

patch(PosStore.prototype, {
    async selectPartner() {
        const res = await super.selectPartner(...arguments);
        await this.crmLoyaltyFetchMember(this.get_order()?.get_partner());
        return res;
    },
    /**
     * Ask the server what the member's tier, balance, expiring points and
     * today's multipliers are. The answer is kept on the customer's record,
     * which the order reads when it counts its points; without it (offline)
     * the till shows pos_loyalty's own figures and sells on.
     */
    async crmLoyaltyFetchMember(partner) {
        if (!partner || typeof partner.id !== "number") {
            return;
        }
        try {
            const info = await this.data.call("pos.config", "crm_loyalty_member_info", [
                [this.config.id],
                partner.id,
            ]);
            const record = this.models["res.partner"].get(partner.id);
            if (record) {
                record.crmLoyaltyMember = info || false;
            }
        } catch {
            // Offline or a server error: the member panel stays as it was.
        }
    },
});

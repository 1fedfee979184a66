import { patch } from "@web/core/utils/patch";
import { PaymentScreen } from "@point_of_sale/app/screens/payment_screen/payment_screen";

patch(PaymentScreen.prototype, {
    /**
     * The receipt shows the member's new balance and the points expiring
     * within 30 days. They follow from what the sale's confirmation answered
     * (pos_loyalty moves the cards to the ledger's balances), so no third
     * call to the server makes the customer wait: spent points leave the
     * soonest-expiring lots first, as the ledger takes them, and earned
     * points expire within 30 days only in a program whose points last that
     * little. Without the member's figures (the till was offline when he was
     * selected) it asks the server, as on selection.
     */
    async _postPushOrderResolve(order) {
        const partner = order?.get_partner();
        const member = partner && partner.crmLoyaltyMember;
        const before = member ? this.crmLoyaltyCardPoints(partner, member) : 0;
        const result = await super._postPushOrderResolve(...arguments);
        if (member) {
            this.crmLoyaltyAfterSale(order, partner, member, before);
        } else {
            await this.pos.crmLoyaltyFetchMember(partner);
        }
        return result;
    },
    /** The points on the member's cards of the ledger programs of this till. */
    crmLoyaltyCardPoints(partner, member) {
        return this.pos.models["loyalty.card"]
            .filter(
                (card) =>
                    card.id > 0 &&
                    card.partner_id?.id === partner.id &&
                    member.programs[String(card.program_id?.id)]
            )
            .reduce((total, card) => total + (card.points || 0), 0);
    },
    crmLoyaltyAfterSale(order, partner, member, before) {
        const inLedger = (program) => program && member.programs[String(program.id)];
        let spent = 0;
        for (const line of order._get_reward_lines()) {
            if (inLedger(line.reward_id?.program_id)) {
                spent += line.points_cost || 0;
            }
        }
        let earnedSoon = 0;
        for (const stat of order.getLoyaltyPoints()) {
            const rule = inLedger(stat.program);
            if (rule && rule.expires_within_30) {
                earnedSoon += stat.points.won || 0;
            }
        }
        const after = this.crmLoyaltyCardPoints(partner, member);
        const record = this.pos.models["res.partner"].get(partner.id) || partner;
        record.crmLoyaltyMember = {
            ...member,
            balance: member.balance + after - before,
            expiring_30: Math.max(member.expiring_30 - spent, 0) + earnedSoon,
        };
    },
});

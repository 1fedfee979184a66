import { patch } from "@web/core/utils/patch";
import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { _t } from "@web/core/l10n/translation";
import { formatFloat } from "@web/core/utils/numbers";

/** Round down to the ledger's precision, as the ledger posts points. */
function roundDown(value, digits) {
    const factor = 10 ** digits;
    return Math.floor(value * factor + 1e-9) / factor;
}

patch(PosOrder.prototype, {
    crmLoyaltyMember() {
        const partner = this.get_partner();
        return (partner && partner.crmLoyaltyMember) || false;
    },
    crmFormatPoints(points) {
        const member = this.crmLoyaltyMember();
        const digits = member ? member.digits : 0;
        return formatFloat(points, { digits: [69, digits] });
    },
    /**
     * pos_loyalty counts the points a card wins before multipliers; the
     * ledger posts them multiplied (member day, birthday month, campaigns,
     * tier), each rounded down. The till announces what the ledger will
     * post, and why: "120 × 2 (member day) = 240 points".
     */
    getLoyaltyPoints() {
        const stats = super.getLoyaltyPoints(...arguments);
        const member = this.crmLoyaltyMember();
        if (!member) {
            return stats;
        }
        for (const stat of stats) {
            const rule = member.programs[String(stat.program.id)];
            if (!rule || !stat.points.won || !rule.factors.length) {
                continue;
            }
            const base = roundDown(stat.points.won, member.digits);
            const won = roundDown(base * rule.factor, member.digits);
            stat.points.crmWhy = _t("%(base)s × %(factors)s (%(why)s) = %(points)s points", {
                base: this.crmFormatPoints(base),
                factors: rule.factors.map((item) => `${item.value}`).join(" × "),
                why: rule.factors.map((item) => item.label).join(", "),
                points: this.crmFormatPoints(won),
            });
            stat.points.total = parseFloat(
                (stat.points.total - stat.points.won + won).toFixed(2)
            );
            stat.points.won = won;
        }
        return stats;
    },
    export_for_printing() {
        const result = super.export_for_printing(...arguments);
        const member = this.crmLoyaltyMember();
        if (member) {
            result.crmLoyaltyMember = {
                ...member,
                stars: member.tier ? "★".repeat(member.tier.stars) : "",
                balanceText: this.crmFormatPoints(member.balance),
                expiringText: this.crmFormatPoints(member.expiring_30),
            };
        }
        return result;
    },
});

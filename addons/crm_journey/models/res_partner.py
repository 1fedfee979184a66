from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    journey_participant_ids = fields.One2many(
        "crm.journey.participant",
        "partner_id",
        string="Journey runs",
        groups="sales_team.group_sale_salesman",
    )
    journey_count = fields.Integer(
        "Journeys",
        compute="_compute_journey_count",
        groups="sales_team.group_sale_salesman",
    )

    def _compute_journey_count(self):
        counts = dict(
            self.env["crm.journey.participant"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.journey_count = counts.get(partner, 0)

    def action_open_journeys(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_journey.crm_journey_participant_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"search_default_group_journey": 0}
        return action

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

    def _lifecycle_personal_data(self):
        data = super()._lifecycle_personal_data()
        customer = self.commercial_partner_id
        data["journeys"] = self._lifecycle_export_rows(
            "crm.journey.participant",
            [("partner_id", "=", customer.id)],
            [
                "journey_id",
                "entered_on",
                "state",
                "is_control",
                "converted",
                "converted_on",
            ],
        )
        data["journey_steps"] = self._lifecycle_export_rows(
            "crm.journey.trace",
            [("partner_id", "=", customer.id)],
            ["date", "journey_id", "step_id", "state", "message_sent"],
        )
        return data

    def _lifecycle_anonymise(self):
        """A customer erased on request leaves the journeys they are in."""
        res = super()._lifecycle_anonymise()
        self.env["crm.journey.participant"].sudo().search(
            [
                ("partner_id", "=", self.id),
                ("state", "in", ("running", "waiting")),
            ]
        ).write({"state": "exited", "exit_reason": "optout", "step_id": False})
        return res

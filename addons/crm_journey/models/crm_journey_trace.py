from odoo import fields, models


class CrmJourneyTrace(models.Model):
    """What a step did to one customer: the step's results, and the weekly
    cap's memory of the messages sent."""

    _name = "crm.journey.trace"
    _description = "Journey Step Trace"
    _order = "date desc, id desc"

    participant_id = fields.Many2one(
        "crm.journey.participant", required=True, ondelete="cascade", index=True
    )
    journey_id = fields.Many2one(related="participant_id.journey_id", store=True)
    step_id = fields.Many2one("crm.journey.step", ondelete="set null", index=True)
    kind = fields.Selection(related="step_id.kind", string="Step kind")
    partner_id = fields.Many2one("res.partner", required=True, index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    date = fields.Date(required=True, index=True)
    state = fields.Selection(
        [("done", "Done"), ("skipped", "Skipped")], required=True, default="done"
    )
    message_sent = fields.Boolean(
        help="A marketing email or text message went out (counts in the weekly cap)."
    )
    note = fields.Char()

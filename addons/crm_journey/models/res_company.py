from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    # Read by the journeys' cron only: kept out of the company's fetches.
    journey_weekly_cap = fields.Integer(
        "Marketing messages per customer per week",
        default=2,
        help="At most this many emails and text messages from all journeys "
        "together reach a customer in seven days; a step that would send "
        "more waits for the next day.",
        prefetch="crm_journey",
    )

    @api.constrains("journey_weekly_cap")
    def _check_journey_weekly_cap(self):
        for company in self:
            if company.journey_weekly_cap < 1:
                raise ValidationError(
                    self.env._(
                        "A customer must be allowed at least one message a week; "
                        "switch the journeys off to send none."
                    )
                )

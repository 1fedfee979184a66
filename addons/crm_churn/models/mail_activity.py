from odoo import fields, models


class MailActivity(models.Model):
    """A complaint is an activity of the type *Complaint* on the customer,
    kept when done: its severity and the company it was made to feed the
    churn signal (``crm.churn.risk._complaint_facts``)."""

    _inherit = "mail.activity"

    churn_complaint_severity = fields.Selection(
        [("low", "Minor"), ("medium", "Serious"), ("high", "Critical")],
        "Complaint severity",
    )
    churn_complaint_date = fields.Date("Complained on")
    churn_company_id = fields.Many2one(
        "res.company",
        "Complaint made to",
        help="The company whose churn risk the complaint raises.",
    )

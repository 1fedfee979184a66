from odoo import fields, models

COMPLAINT_SEVERITY = [("low", "Minor"), ("medium", "Serious"), ("high", "Critical")]


class MailActivity(models.Model):
    """A complaint is an activity of the type *Complaint* on the customer,
    kept when done: its severity and the company it was made to feed the
    churn signal (``crm.churn.risk._complaint_facts``)."""

    _inherit = "mail.activity"

    churn_complaint_severity = fields.Selection(
        COMPLAINT_SEVERITY, "Complaint severity"
    )
    churn_complaint_date = fields.Date("Complained on")
    # Set on complaints only: the churn night reads them through this index,
    # not through every activity of the database.
    churn_company_id = fields.Many2one(
        "res.company",
        "Complaint made to",
        index="btree_not_null",
        help="The company whose churn risk the complaint raises.",
    )

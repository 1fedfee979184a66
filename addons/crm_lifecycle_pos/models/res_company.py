from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    lifecycle_count_pos = fields.Boolean(
        string="Count Point of Sale orders",
        default=True,
        help="Paid Point of Sale orders of a customer count as purchases, on "
        "their date and for their untaxed amount; Point of Sale refunds reduce "
        "what the customer bought, never below zero. Orders without a "
        "customer are not counted.",
    )

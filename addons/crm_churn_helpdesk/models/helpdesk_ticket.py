from odoo import api, fields, models

# Tier response time (hours) at or under which a member's ticket is "Very
# High"; a tier with any service level makes it at least "High".
VERY_HIGH_HOURS = 4


class HelpdeskTicket(models.Model):
    """A member's new ticket gets the service level of his tier (星级管理):
    the priority, the dedicated account manager (or, without one, whoever
    the service level names when nobody is assigned), and the day it must
    be answered by."""

    _inherit = "helpdesk.ticket"

    loyalty_service_deadline = fields.Date(
        "Answer by",
        readonly=True,
        copy=False,
        help="The day the customer's member tier promises an answer by "
        "(its response time, in working days).",
    )

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets._apply_loyalty_service()
        return tickets

    def _apply_loyalty_service(self):
        # sudo: the ticket may come from the customer himself (portal, email
        # gateway), who may read neither tiers nor users; only the ticket's
        # own priority, assignee and deadline are written.
        for ticket in self.sudo().filtered("commercial_partner_id"):
            customer = ticket.commercial_partner_id.with_company(ticket.company_id)
            tier = customer.loyalty_tier_id
            if not tier or not (tier.service_response_hours or tier.service_dedicated):
                continue
            today = fields.Date.context_today(ticket)
            user, deadline = customer._loyalty_service(
                ticket.company_id, today, 1, ticket.user_id or customer.user_id
            )
            priority = (
                "3"
                if tier.service_response_hours
                and tier.service_response_hours <= VERY_HIGH_HOURS
                else "2"
            )
            vals = {
                "priority": max(ticket.priority or "0", priority),
                "loyalty_service_deadline": deadline,
            }
            # A dedicated account manager takes his members' tickets.
            if user and (tier.service_dedicated or not ticket.user_id):
                vals["user_id"] = user.id
            ticket.write(vals)

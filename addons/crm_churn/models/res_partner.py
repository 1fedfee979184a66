from odoo import api, fields, models

from .crm_churn_risk import LEVEL_SELECTION


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Company-dependent (one jsonb column each): searchable and groupable in
    # the customer list for the current company, written only on change.
    churn_risk_score = fields.Integer(
        "Churn risk score",
        company_dependent=True,
        readonly=True,
        groups="sales_team.group_sale_salesman",
        help="0-100, higher means more likely to leave; recomputed every night.",
    )
    churn_risk_level = fields.Selection(
        LEVEL_SELECTION,
        "Churn risk",
        company_dependent=True,
        readonly=True,
        groups="sales_team.group_sale_salesman",
    )
    churn_risk_id = fields.Many2one(
        "crm.churn.risk",
        compute="_compute_churn_risk_id",
        search="_search_churn_risk_id",
        groups="sales_team.group_sale_salesman",
    )
    churn_reasons = fields.Text(
        related="churn_risk_id.reasons",
        string="Churn risk reasons",
        groups="sales_team.group_sale_salesman",
    )
    churn_score_change = fields.Integer(
        related="churn_risk_id.score_change",
        groups="sales_team.group_sale_salesman",
    )
    churn_history_ids = fields.One2many(
        "crm.churn.risk.history",
        "partner_id",
        string="Churn risk history",
        domain=lambda self: [("company_id", "=", self.env.company.id)],
        groups="sales_team.group_sale_salesman",
    )
    churn_alert_ids = fields.One2many(
        "crm.churn.alert",
        "partner_id",
        string="Churn alerts",
        groups="sales_team.group_sale_salesman",
    )
    churn_alert_count = fields.Integer(
        compute="_compute_churn_alert_count",
        groups="sales_team.group_sale_salesman",
    )

    @api.depends_context("company")
    def _compute_churn_risk_id(self):
        risks = self.env["crm.churn.risk"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {risk.partner_id.id: risk for risk in risks}
        for partner in self:
            partner.churn_risk_id = by_partner.get(partner.commercial_partner_id.id)

    def _search_churn_risk_id(self, operator, value):
        risks = self.env["crm.churn.risk"]._search(
            [("id", operator, value), ("company_id", "=", self.env.company.id)]
        )
        return [("commercial_partner_id", "in", risks.select("partner_id"))]

    def _compute_churn_alert_count(self):
        counts = dict(
            self.env["crm.churn.alert"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.churn_alert_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_churn_alerts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_churn.crm_churn_alert_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_open": 0}
        return action

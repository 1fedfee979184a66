import base64

from odoo import fields, models

from ..models.crm_churn_alert import OPEN_STAGES, STAGE_SELECTION
from ..tools import scoring, xlsx_report


class CrmChurnExport(models.TransientModel):
    """The at-risk list as a workbook for the sales meeting."""

    _name = "crm.churn.export"
    _description = "Export the At-Risk Customers"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    min_level = fields.Selection(
        [
            ("medium", "Medium and above"),
            ("high", "High and above"),
            ("critical", "Critical"),
        ],
        string="Customers at risk",
        required=True,
        default="high",
    )
    user_id = fields.Many2one("res.users", "Salesperson")
    include_lost = fields.Boolean(
        "Include lost customers",
        help="Customers in the lifecycle stage Churned are win-back cases, "
        "not warnings: left out unless ticked.",
    )
    file_data = fields.Binary("File", readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    def action_export(self):
        self.ensure_one()
        content = self._build_report()
        self.write(
            {
                "file_data": base64.b64encode(content),
                "file_name": self.env._(
                    "customers_at_risk_%(date)s.xlsx",
                    date=fields.Date.context_today(self),
                ),
            }
        )
        # As Odoo's own download wizards (account.move.send.wizard): the
        # web client opens the file in a new window, which the browser turns
        # into a download, and ``close`` closes the dialog. With the target
        # "self" or "download" the client only navigates to the file and
        # leaves the dialog open.
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/file_data/{self.file_name}"
            "?download=true",
            "close": True,
        }

    def _build_report(self):
        """Rows the user may read (record rules apply), laid out by the tool."""
        levels = [
            level
            for level in scoring.LEVELS
            if scoring.LEVEL_RANK[level] >= scoring.LEVEL_RANK[self.min_level]
        ]
        domain = [("company_id", "=", self.company_id.id), ("level", "in", levels)]
        if self.user_id:
            domain.append(("user_id", "=", self.user_id.id))
        if not self.include_lost:
            domain.append(("lost", "=", False))
        # The model's order: the most savable value at risk first.
        risks = self.env["crm.churn.risk"].with_company(self.company_id).search(domain)
        alerts = self.env["crm.churn.alert"].search(
            [
                ("partner_id", "in", risks.partner_id.ids),
                ("company_id", "=", self.company_id.id),
                ("stage", "in", OPEN_STAGES),
            ]
        )
        alert_stage = {a.partner_id.id: a.stage for a in alerts}
        Partner = self.env["res.partner"]
        stage_labels = dict(STAGE_SELECTION)
        level_labels = dict(risks._fields["level"]._description_selection(self.env))

        def label(field, value):
            selection = Partner._fields[field]._description_selection(self.env)
            return dict(selection).get(value, "")

        rows = []
        for risk in risks:
            partner = risk.partner_id.with_company(self.company_id)
            rows.append(
                {
                    "customer": partner.display_name,
                    "salesperson": partner.user_id.name or "",
                    "score": risk.score,
                    "level": level_labels.get(risk.level, ""),
                    "reasons": risk.reasons or "",
                    "stage": label("lifecycle_stage", partner.lifecycle_stage),
                    "segment": label("rfm_segment", partner.rfm_segment),
                    "value_class": label(
                        "lifecycle_value_class", partner.lifecycle_value_class
                    ),
                    "historic_clv": partner.lifecycle_historic_clv,
                    "predicted_clv": partner.lifecycle_predicted_clv_12m,
                    "last_order": partner.lifecycle_last_order_date or None,
                    "days_since_last_order": (
                        (
                            fields.Date.context_today(self)
                            - partner.lifecycle_last_order_date
                        ).days
                        if partner.lifecycle_last_order_date
                        else None
                    ),
                    "alert": stage_labels.get(alert_stage.get(partner.id), ""),
                }
            )
        _ = self.env._
        labels = {
            "sheet": _("Customers at risk"),
            "customer": _("Customer"),
            "salesperson": _("Salesperson"),
            "score": _("Risk score"),
            "level": _("Risk level"),
            "reasons": _("Reasons"),
            "stage": _("Lifecycle stage"),
            "segment": _("RFM segment"),
            "value_class": _("Value class"),
            "historic_clv": _("Historic value"),
            "predicted_clv": _("Predicted value (12 months)"),
            "last_order": _("Last order"),
            "days_since_last_order": _("Days since last order"),
            "alert": _("Alert"),
            "total": _("Total"),
        }
        subtitle = _(
            "%(company)s, %(date)s",
            company=self.company_id.name,
            date=fields.Date.context_today(self),
        )
        return xlsx_report.at_risk_report(
            _("Customers at risk"), subtitle, rows, labels
        )

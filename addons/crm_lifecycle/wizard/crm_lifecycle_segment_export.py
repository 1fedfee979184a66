import base64

from odoo import fields, models

from ..models.crm_lifecycle_profile import (
    SEGMENT_SELECTION,
    STAGE_SELECTION,
    VALUE_CLASS_SELECTION,
)
from ..rpc_guards import ensure_existing
from ..tools import xlsx_report


class CrmLifecycleSegmentExport(models.TransientModel):
    _name = "crm.lifecycle.segment.export"
    _description = "Export the RFM Segment Report"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    file_data = fields.Binary("File", readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    def action_export(self):
        ensure_existing(self)
        self.ensure_one()
        content = self._build_report()
        self.write(
            {
                "file_data": base64.b64encode(content),
                "file_name": self.env._(
                    "rfm_segments_%(date)s.xlsx", date=fields.Date.context_today(self)
                ),
            }
        )
        # The web client downloads it where it stands (target download); the
        # Export button's close="1" then closes the dialog, which stayed open
        # over the download before.
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/file_data/{self.file_name}"
            "?download=true",
            "target": "download",
        }

    def _build_report(self):
        """Gather the profiles the user may read, and let the tool lay them out."""
        Profile = self.env["crm.lifecycle.profile"]
        domain = [("company_id", "=", self.company_id.id), ("rfm_segment", "!=", False)]
        groups = Profile._read_group(
            domain,
            ["rfm_segment"],
            [
                "__count",
                "rfm_monetary:sum",
                "avg_order_value:avg",
                "rfm_recency_days:avg",
                "predicted_clv_12m:sum",
            ],
        )
        total = sum(group[1] for group in groups) or 1
        segment_names = dict(SEGMENT_SELECTION)
        order = [key for key, _label in SEGMENT_SELECTION]
        groups.sort(key=lambda group: order.index(group[0]))
        summary = [
            {
                "segment": segment_names[segment],
                "customers": count,
                "share": count / total,
                "revenue": revenue or 0.0,
                "avg_order_value": aov or 0.0,
                "avg_recency": recency or 0.0,
                "clv_12m": clv_12m or 0.0,
            }
            for segment, count, revenue, aov, recency, clv_12m in groups
        ]
        stage_names = dict(STAGE_SELECTION)
        value_names = dict(VALUE_CLASS_SELECTION)
        profiles = Profile.search_fetch(
            domain,
            [
                "partner_id",
                "rfm_segment",
                "stage",
                "value_class",
                "rfm_r",
                "rfm_f",
                "rfm_m",
                "order_count",
                "first_order_date",
                "last_order_date",
                "rfm_monetary",
                "predicted_clv_12m",
            ],
            order="rfm_segment, rfm_monetary desc",
        )
        detail = [
            {
                "customer": profile.partner_id.display_name,
                "segment": segment_names.get(profile.rfm_segment),
                "stage": stage_names.get(profile.stage),
                "value_class": value_names.get(profile.value_class),
                "r": profile.rfm_r,
                "f": profile.rfm_f,
                "m": profile.rfm_m,
                "orders": profile.order_count,
                "first_order": profile.first_order_date,
                "last_order": profile.last_order_date,
                "revenue": profile.rfm_monetary,
                "clv_12m": profile.predicted_clv_12m,
            }
            for profile in profiles
        ]
        _ = self.env._
        labels = {
            "summary_sheet": _("Summary"),
            "detail_sheet": _("Customers"),
            "segment": _("Segment"),
            "customers": _("Customers"),
            "share": _("Share"),
            "revenue": _("Revenue in window"),
            "avg_order_value": _("Average order value"),
            "avg_recency": _("Average recency (days)"),
            "clv_12m": _("Predicted value (12 months)"),
            "total": _("Total"),
            "customer": _("Customer"),
            "stage": _("Stage"),
            "value_class": _("Value class"),
            "r": "R",
            "f": "F",
            "m": "M",
            "orders": _("Orders"),
            "first_order": _("First order"),
            "last_order": _("Last order"),
        }
        title = _(
            "RFM segments of %(company)s on %(date)s",
            company=self.company_id.name,
            date=fields.Date.context_today(self),
        )
        return xlsx_report.segment_report(title, summary, detail, labels)

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column, table_exists

from .crm_churn_alert import OPEN_STAGES
from .crm_churn_risk import LEVEL_SELECTION, by_severity

# Working days to answer a complaint, by severity, before the tier's
# response time (when sooner).
COMPLAINT_DAYS = {"high": 0, "medium": 1, "low": 3}


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
        prefetch="crm_churn",
    )
    churn_risk_level = fields.Selection(
        LEVEL_SELECTION,
        "Churn risk",
        company_dependent=True,
        readonly=True,
        groups="sales_team.group_sale_salesman",
        group_expand="_group_expand_churn_risk_level",
        prefetch="crm_churn",
    )
    churn_risk_id = fields.Many2one(
        "crm.churn.risk",
        compute="_compute_churn_risk_id",
        search="_search_churn_risk_id",
        groups="sales_team.group_sale_salesman",
    )
    # The figures below are read as the user (related_sudo=False), so that
    # record rules show a salesperson his own customers' figures only, and
    # cached per company and user, like the record they are read from.
    churn_reasons = fields.Text(
        related="churn_risk_id.reasons",
        related_sudo=False,
        depends_context=("company", "uid"),
        string="Churn risk reasons",
        groups="sales_team.group_sale_salesman",
    )
    churn_score_change = fields.Integer(
        related="churn_risk_id.score_change",
        related_sudo=False,
        depends_context=("company", "uid"),
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
    # Whether an alert of any company is open: every order confirmation asks
    # (to close it as won back), reading this column alone (sale_order.py).
    churn_alert_open = fields.Boolean(
        "Open churn alert",
        compute="_compute_churn_alert_open",
        store=True,
        groups="base.group_user",
        prefetch="crm_churn",
    )
    churn_alert_count = fields.Integer(
        compute="_compute_churn_alert_count",
        groups="sales_team.group_sale_salesman",
    )

    @api.model
    def _group_expand_churn_risk_level(self, levels, domain):
        return by_severity(levels)

    # Per user too: record rules show each salesperson his own customers'
    # figures, and the cache must not hand one user's value to another.
    @api.depends_context("company", "uid")
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
        return [("commercial_partner_id", "in", risks.subselect("partner_id"))]

    def _auto_init(self):
        # Filled by one statement where alerts exist already (an upgrade):
        # the ORM would compute the flag of every customer, batch by batch.
        cr = self.env.cr
        if not column_exists(cr, "res_partner", "churn_alert_open"):
            create_column(cr, "res_partner", "churn_alert_open", "boolean")
            if table_exists(cr, "crm_churn_alert"):
                cr.execute(
                    SQL(
                        """
                        UPDATE res_partner p SET churn_alert_open = TRUE
                         WHERE EXISTS (SELECT 1 FROM crm_churn_alert a
                                        WHERE a.partner_id = p.id
                                          AND a.stage = ANY(%s))
                        """,
                        list(OPEN_STAGES),
                    )
                )
        return super()._auto_init()

    @api.depends("churn_alert_ids.stage")
    def _compute_churn_alert_open(self):
        groups = self.env["crm.churn.alert"]._read_group(
            [("partner_id", "in", self.ids), ("stage", "in", OPEN_STAGES)],
            ["partner_id"],
        )
        alerted = {partner.id for (partner,) in groups}
        for partner in self:
            partner.churn_alert_open = partner.id in alerted

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

    def _churn_log_complaint(self, severity, summary, note=False, user=None):
        """Log a complaint on the customer: an activity of the type
        *Complaint* for the member's service level (account manager and
        response time: critical the same working day, serious the next,
        minor within three), kept when done, feeding the churn signal."""
        self.ensure_one()
        if severity not in COMPLAINT_DAYS or not (summary or "").strip():
            raise UserError(
                self.env._("A complaint needs a severity and what it is about.")
            )
        customer = self.commercial_partner_id
        customer.check_access("read")
        company = self.env.company
        today = fields.Date.context_today(self)
        owner, deadline = customer._loyalty_service(
            company,
            today,
            COMPLAINT_DAYS[severity],
            user or customer.user_id or self.env.user,
        )
        # sudo: any salesperson who may read the customer logs what the
        # customer said; an activity needs write access to its document,
        # which salespeople do not have on contacts.
        return customer.sudo().activity_schedule(
            "crm_churn.mail_activity_type_complaint",
            date_deadline=deadline,
            summary=summary.strip(),
            note=note or False,
            user_id=owner.id,
            churn_complaint_severity=severity,
            churn_complaint_date=today,
            churn_company_id=company.id,
        )

    def _lifecycle_personal_data(self):
        data = super()._lifecycle_personal_data()
        customer = self.commercial_partner_id
        data["churn_risk"] = self._lifecycle_export_rows(
            "crm.churn.risk",
            [("partner_id", "=", customer.id)],
            ["company_id", "score", "level", "reasons", "scored_on"],
        )
        data["churn_alerts"] = self._lifecycle_export_rows(
            "crm.churn.alert",
            [("partner_id", "=", customer.id)],
            ["company_id", "alert_date", "stage", "level", "score", "reasons"],
        )
        return data

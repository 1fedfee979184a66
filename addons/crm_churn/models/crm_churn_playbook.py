from odoo import api, fields, models
from odoo.exceptions import MissingError, ValidationError
from odoo.osv import expression
from odoo.tools.safe_eval import safe_eval

from ..tools import scoring


class CrmChurnPlaybook(models.Model):
    """What to do for an alert: the first playbook (by sequence) whose
    conditions match the customer gives the activity, the email and the
    win-back offer."""

    _name = "crm.churn.playbook"
    _description = "Churn Playbook"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", default=lambda self: self.env.company, index=True
    )
    min_level = fields.Selection(
        [("high", "High or critical"), ("critical", "Critical only")],
        string="Risk level",
        required=True,
        default="high",
    )
    partner_domain = fields.Char(
        "Customers",
        default="[]",
        required=True,
        help="Conditions on the customer: lifecycle stage, RFM segment, value "
        "class, loyalty tier or any other field.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        "Activity",
        domain="[('res_model', 'in', (False, 'crm.churn.alert'))]",
        default=lambda self: self.env.ref(
            "mail.mail_activity_data_call", raise_if_not_found=False
        ),
    )
    activity_summary = fields.Char(
        "Activity title",
        translate=True,
        help='Empty: "Churn risk: call" and the customer\'s name.',
    )
    activity_note = fields.Html(
        "Instructions",
        translate=True,
        help="Empty: why the customer may leave. Written in the salesperson's "
        "language.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        "Email to the customer",
        domain="[('model', '=', 'crm.churn.alert')]",
        help="Sent when the offer is approved (or at once when offers need no "
        "approval).",
    )
    offer_type = fields.Selection(
        [
            ("none", "No offer"),
            ("coupon", "Single-use coupon"),
            ("points", "Bonus points"),
        ],
        string="Win-back offer",
        required=True,
        default="none",
    )
    coupon_program_id = fields.Many2one(
        "loyalty.program",
        "Coupon program",
        domain="[('program_type', 'in', ('coupons', 'next_order_coupons'))]",
        check_company=True,
        help="Empty: the default win-back program of the settings.",
    )
    points_program_id = fields.Many2one(
        "loyalty.program",
        "Points program",
        domain="[('crm_ledger_managed', '=', True)]",
        check_company=True,
    )
    bonus_points = fields.Float("Bonus points", digits=(16, 2))
    alert_count = fields.Integer("Alerts", compute="_compute_alert_count")

    @api.constrains("offer_type", "points_program_id", "bonus_points")
    def _check_offer(self):
        for playbook in self:
            if playbook.offer_type == "points" and (
                not playbook.points_program_id or playbook.bonus_points <= 0
            ):
                raise ValidationError(
                    self.env._(
                        "A bonus points offer needs a points program and a positive "
                        "number of points."
                    )
                )

    @api.constrains("partner_domain")
    def _check_partner_domain(self):
        for playbook in self:
            try:
                domain = playbook._domain()
                self.env["res.partner"].search_count(domain, limit=1)
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "The customer conditions of playbook %(name)s are not valid: "
                        "%(error)s",
                        name=playbook.name,
                        error=error,
                    )
                ) from error

    def _compute_alert_count(self):
        counts = dict(
            self.env["crm.churn.alert"]._read_group(
                [("playbook_id", "in", self.ids)], ["playbook_id"], ["__count"]
            )
        )
        for playbook in self:
            playbook.alert_count = counts.get(playbook, 0)

    def _domain(self):
        self.ensure_one()
        return safe_eval(self.partner_domain or "[]")

    @api.model
    def _match(self, alerts):
        """Playbook for each alert: {alert: playbook}; one search per playbook."""
        result = {}
        playbooks = self.search([])
        for playbook in playbooks:
            pending = alerts.filtered(
                lambda a, p=playbook: (
                    a not in result
                    and (not p.company_id or a.company_id == p.company_id)
                    and scoring.LEVEL_RANK[a.level] >= scoring.LEVEL_RANK[p.min_level]
                )
            )
            if not pending:
                continue
            for company in pending.company_id:
                company_alerts = pending.filtered(
                    lambda a, c=company: a.company_id == c
                )
                matched = (
                    self.env["res.partner"]
                    .with_company(company)
                    .search(
                        expression.AND(
                            [
                                playbook._domain(),
                                [("id", "in", company_alerts.partner_id.ids)],
                            ]
                        )
                    )
                )
                for alert in company_alerts:
                    if alert.partner_id in matched:
                        result[alert] = playbook
        return result

    def action_view_alerts(self):
        self.ensure_one()
        # A deleted or foreign playbook fails here, not in the alerts list.
        if not self.exists():
            raise MissingError(self.env._("This playbook no longer exists."))
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_churn.crm_churn_alert_action"
        )
        action["domain"] = [("playbook_id", "=", self.id)]
        action["context"] = {}
        return action

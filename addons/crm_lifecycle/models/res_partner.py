import json

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import create_index

from ..rpc_guards import ensure_existing
from .crm_lifecycle_profile import (
    SEGMENT_SELECTION,
    STAGE_SELECTION,
    VALUE_CLASS_SELECTION,
)

COMMERCIAL_INDEX = "res_partner_crm_lifecycle_commercial_idx"


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "crm.lifecycle.group.order.mixin"]
    _lifecycle_ordered_groups = (
        "lifecycle_stage",
        "rfm_segment",
        "lifecycle_value_class",
    )

    def init(self):
        res = super().init()
        # The nightly runs walk the commercial partners by id, a batch at a
        # time (crm.lifecycle.run._next_partner_ids, _count_customers).
        # Without this index PostgreSQL cannot tell how many rows satisfy
        # id = commercial_partner_id and scans the primary key in parallel,
        # many times slower per batch at a million customers.
        create_index(
            self.env.cr,
            COMMERCIAL_INDEX,
            self._table,
            ["id"],
            where="id = commercial_partner_id",
        )
        return res

    lifecycle_no_marketing = fields.Boolean(
        "No marketing",
        tracking=True,
        help="The customer asked for no marketing: no journey, greeting, "
        "birthday or win-back email, text message or reminder of the suite "
        "reaches them, whatever their address. Messages they asked for (a "
        "points statement) still do.",
        prefetch="crm_lifecycle",
    )

    lifecycle_anonymised_on = fields.Date(
        "Anonymised on",
        readonly=True,
        copy=False,
        help="The customer's personal data was erased on request on this day; "
        "their purchases, figures and points stay, without a name.",
        prefetch="crm_lifecycle",
    )

    def _lifecycle_email_opted_out(self):
        """Whether a marketing email of the suite must not reach this
        customer: their address is on Odoo's email blacklist
        (``mail.thread.blacklist``), or they asked for no marketing."""
        self.ensure_one()
        return self.is_blacklisted or self.lifecycle_no_marketing

    # Company-dependent: one jsonb column each, so the value read is the one of
    # the current company, and the partner list can search and group on it.
    # This addon's partner fields form a prefetch group of their own, out of
    # Odoo's company-dependent group: a sale or a till's sync reads one of
    # Odoo's (an account, a pricelist) and does not fetch these with it.
    lifecycle_stage = fields.Selection(
        STAGE_SELECTION,
        string="Lifecycle stage",
        company_dependent=True,
        readonly=True,
        # Groups in lifecycle order, empty stages folded.
        group_expand="_group_expand_lifecycle_stage",
        help="Lifecycle stage of the customer in the current company, computed "
        "from confirmed sale orders.",
        prefetch="crm_lifecycle",
    )
    rfm_segment = fields.Selection(
        SEGMENT_SELECTION,
        string="RFM segment",
        company_dependent=True,
        readonly=True,
        prefetch="crm_lifecycle",
    )
    lifecycle_value_class = fields.Selection(
        VALUE_CLASS_SELECTION,
        string="Value class",
        company_dependent=True,
        readonly=True,
        prefetch="crm_lifecycle",
    )
    lifecycle_profile_id = fields.Many2one(
        "crm.lifecycle.profile",
        string="Lifecycle profile",
        compute="_compute_lifecycle_profile_id",
        search="_search_lifecycle_profile_id",
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_stage_history_ids = fields.One2many(
        "crm.lifecycle.stage.history",
        "partner_id",
        string="Stage history",
        domain=lambda self: [("company_id", "=", self.env.company.id)],
        groups="sales_team.group_sale_salesman",
    )
    # The figures below are read as the user (related_sudo=False), so that
    # record rules show a salesperson his own customers' figures only, and
    # cached per company and user, like the record they are read from.
    lifecycle_is_pinned = fields.Boolean(
        related="lifecycle_profile_id.is_pinned",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_stage_date = fields.Date(
        related="lifecycle_profile_id.stage_date",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_order_count = fields.Integer(
        related="lifecycle_profile_id.order_count",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_first_order_date = fields.Date(
        related="lifecycle_profile_id.first_order_date",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_last_order_date = fields.Date(
        related="lifecycle_profile_id.last_order_date",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_avg_order_value = fields.Monetary(
        related="lifecycle_profile_id.avg_order_value",
        related_sudo=False,
        depends_context=("company", "uid"),
        currency_field="lifecycle_currency_id",
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_avg_days_between_orders = fields.Float(
        related="lifecycle_profile_id.avg_days_between_orders",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_expected_next_order_date = fields.Date(
        related="lifecycle_profile_id.expected_next_order_date",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_historic_clv = fields.Monetary(
        related="lifecycle_profile_id.historic_clv",
        related_sudo=False,
        depends_context=("company", "uid"),
        currency_field="lifecycle_currency_id",
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_currency_id = fields.Many2one(
        related="lifecycle_profile_id.currency_id",
        related_sudo=False,
        depends_context=("company", "uid"),
        string="Lifecycle currency",
        groups="sales_team.group_sale_salesman",
    )
    rfm_r = fields.Integer(
        related="lifecycle_profile_id.rfm_r",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )
    rfm_f = fields.Integer(
        related="lifecycle_profile_id.rfm_f",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )
    rfm_m = fields.Integer(
        related="lifecycle_profile_id.rfm_m",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )
    rfm_score = fields.Char(
        related="lifecycle_profile_id.rfm_score",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_prob_alive = fields.Float(
        related="lifecycle_profile_id.prob_alive",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_expected_purchases_90 = fields.Float(
        related="lifecycle_profile_id.expected_purchases_90",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_expected_purchases_365 = fields.Float(
        related="lifecycle_profile_id.expected_purchases_365",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_predicted_clv_12m = fields.Monetary(
        related="lifecycle_profile_id.predicted_clv_12m",
        related_sudo=False,
        depends_context=("company", "uid"),
        currency_field="lifecycle_currency_id",
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_prediction_method = fields.Selection(
        related="lifecycle_profile_id.prediction_method",
        related_sudo=False,
        depends_context=("company", "uid"),
        groups="sales_team.group_sale_salesman",
    )

    # Per user too: record rules show each salesperson his own customers'
    # figures, and the cache must not hand one user's value to another.
    @api.depends_context("company", "uid")
    def _compute_lifecycle_profile_id(self):
        commercial = self.commercial_partner_id
        profiles = self.env["crm.lifecycle.profile"].search_fetch(
            [
                ("partner_id", "in", commercial.ids),
                ("company_id", "=", self.env.company.id),
            ],
            ["partner_id"],
        )
        by_partner = {profile.partner_id.id: profile for profile in profiles}
        for partner in self:
            partner.lifecycle_profile_id = by_partner.get(
                partner.commercial_partner_id.id, False
            )

    def _search_lifecycle_profile_id(self, operator, value):
        profiles = self.env["crm.lifecycle.profile"]._search(
            [("id", operator, value), ("company_id", "=", self.env.company.id)]
        )
        return [("commercial_partner_id", "in", profiles.subselect("partner_id"))]

    def action_lifecycle_pin(self):
        ensure_existing(self)
        self.ensure_one()
        self.env["crm.lifecycle.pin.wizard"].check_access("create")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Pin lifecycle stage"),
            "res_model": "crm.lifecycle.pin.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    def action_lifecycle_unpin(self):
        ensure_existing(self)
        self.ensure_one()
        self.env["crm.lifecycle.profile"].check_access("write")
        self.lifecycle_profile_id._unpin()
        return True

    # ------------------------------------------------------------------
    # Personal data on request (PIPL): export and anonymise
    # ------------------------------------------------------------------

    def _lifecycle_identity_fields(self):
        """Identity fields exported, and erased by the anonymisation; other
        addons add theirs (a birthdate)."""
        return [
            "name",
            "email",
            "phone",
            "mobile",
            "street",
            "street2",
            "zip",
            "city",
            "vat",
            "website",
            "function",
            "ref",
            "comment",
        ]

    def _lifecycle_export_rows(self, model, domain, field_names):
        """Rows of ``model`` as plain values: relations by name, dates as
        ISO text (JSON)."""
        records = self.env[model].search(domain)
        rows = []
        for record in records:
            row = {}
            for name in field_names:
                value = record[name]
                field = record._fields[name]
                if field.type == "many2one":
                    value = value.display_name or None
                elif field.type == "selection":
                    value = (
                        dict(field._description_selection(self.env)).get(value)
                        if value
                        else None
                    )
                elif field.type == "date":
                    value = fields.Date.to_string(value) if value else None
                elif field.type == "datetime":
                    value = fields.Datetime.to_string(value) if value else None
                elif value is False and field.type != "boolean":
                    value = None
                row[name] = value
            rows.append(row)
        return rows

    def _lifecycle_personal_data(self):
        """What the suite holds about this customer (the commercial partner
        and its contacts), by section; other addons add theirs. The caller
        checks who may read it."""
        self.ensure_one()
        customer = self.commercial_partner_id
        people = customer | customer.child_ids
        identity = [
            name for name in self._lifecycle_identity_fields() if name in self._fields
        ]
        return {
            "customer": self._lifecycle_export_rows(
                "res.partner",
                [("id", "in", people.ids)],
                [*identity, "lang", "lifecycle_no_marketing", "create_date"],
            ),
            "lifecycle": self._lifecycle_export_rows(
                "crm.lifecycle.profile",
                [("partner_id", "=", customer.id)],
                [
                    "company_id",
                    "stage",
                    "stage_date",
                    "rfm_segment",
                    "value_class",
                    "order_count",
                    "first_order_date",
                    "last_order_date",
                    "historic_clv",
                    "predicted_clv_12m",
                ],
            ),
            "stage_history": self._lifecycle_export_rows(
                "crm.lifecycle.stage.history",
                [("partner_id", "=", customer.id)],
                ["company_id", "stage", "previous_stage", "date_start", "date_end"],
            ),
            "segment_history": self._lifecycle_export_rows(
                "crm.rfm.segment.history",
                [("partner_id", "=", customer.id)],
                ["company_id", "segment", "date_start", "date_end"],
            ),
        }

    def _lifecycle_personal_data_json(self):
        self.ensure_one()
        return json.dumps(
            {
                "exported_on": fields.Datetime.to_string(fields.Datetime.now()),
                **self._lifecycle_personal_data(),
            },
            ensure_ascii=False,
            indent=2,
            default=str,
        )

    def action_lifecycle_export_personal_data(self):
        """Managers: the customer's data as a JSON file, on request. The
        file is made when downloaded and kept nowhere: an attachment would
        stay on the customer, readable by salespeople and after an
        anonymisation."""
        ensure_existing(self)
        self.ensure_one()
        self._lifecycle_check_personal_data_access()
        return {
            "type": "ir.actions.act_url",
            "url": f"/crm_lifecycle/personal-data/{self.commercial_partner_id.id}",
            "target": "self",
        }

    def _lifecycle_check_personal_data_access(self):
        """Exports and erasures of personal data are the managers'."""
        self.env["crm.lifecycle.profile"].check_access("write")

    def action_lifecycle_anonymise(self):
        """Managers: erase the customer's personal data on request. The
        purchases, figures, ledger entries and balances stay (nothing posted
        is edited): they belong to a customer without a name."""
        ensure_existing(self)
        self._lifecycle_check_personal_data_access()
        for partner in self:
            partner.commercial_partner_id._lifecycle_anonymise()
        return True

    def _lifecycle_anonymise(self):
        """Hook: erase what identifies this commercial partner and its
        contacts; other addons erase what they hold."""
        self.ensure_one()
        people = self | self.child_ids
        today = fields.Date.context_today(self)
        blank = {
            name: False
            for name in self._lifecycle_identity_fields()
            if name in self._fields and name != "name"
        }
        # No tracking: its message would keep the old name, email and phone.
        untracked = people.with_context(tracking_disable=True, mail_notrack=True)
        for person in untracked:
            person.write(
                {
                    **blank,
                    "name": self.env._("Anonymised customer %(id)s", id=person.id),
                    "image_1920": False,
                    "lifecycle_no_marketing": True,
                    "lifecycle_anonymised_on": today,
                }
            )
        # sudo: the chatter holds messages the manager may not read (other
        # users' notes); all of them name the customer.
        self.env["mail.message"].sudo().search(
            [("model", "=", "res.partner"), ("res_id", "in", people.ids)]
        ).unlink()
        # sudo: files attached to the customer (earlier exports, scans) may
        # belong to other users; they identify the customer too.
        self.env["ir.attachment"].sudo().search(
            [("res_model", "=", "res.partner"), ("res_id", "in", people.ids)]
        ).unlink()

    # ------------------------------------------------------------------
    # Campaigns to a list of customers
    # ------------------------------------------------------------------

    def action_lifecycle_email_campaign(self):
        """List action: a one-off email campaign to the selected customers,
        through Odoo's Email Marketing."""
        return self._lifecycle_campaign("mail")

    def action_lifecycle_sms_campaign(self):
        """List action: the same by text message (SMS Marketing)."""
        return self._lifecycle_campaign("sms")

    def _lifecycle_campaign(self, mailing_type):
        ensure_existing(self)
        return self._lifecycle_open_mailing(mailing_type)

    def _lifecycle_open_mailing(self, mailing_type):
        """Hook: open a draft mailing to these customers. Without Odoo's
        Email Marketing there is no mailing to open (``crm_lifecycle_mass_mailing``
        provides it when ``mass_mailing`` is installed)."""
        if mailing_type == "sms":
            raise UserError(
                self.env._(
                    "SMS Marketing is not installed: install it (Apps, SMS "
                    "Marketing) to send a text message campaign to these customers."
                )
            )
        raise UserError(
            self.env._(
                "Email Marketing is not installed: install it (Apps, Email "
                "Marketing) to send an email campaign to these customers."
            )
        )

    def action_lifecycle_refresh(self):
        """Recompute this customer now (managers)."""
        ensure_existing(self)
        self.env["crm.lifecycle.profile"].check_access("write")
        self.env["crm.lifecycle.profile"]._refresh_partners(
            self.commercial_partner_id.ids
        )
        return True

from datetime import datetime, time

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

from ..tools import periods
from ..tools.ledger import MAX_POINTS
from .crm_loyalty_entry import show_points_by_precision

_lt = LazyTranslate(__name__)

DEFAULT_BEHAVIOURS = [
    # code, name (a term of the addon's translations), points, cap, period
    ("share", _lt("Shared on social media"), 50, 1, "week"),
    ("review", _lt("Wrote a review"), 100, 1, "month"),
    ("checkin", _lt("Checked in at a store"), 10, 1, "day"),
    ("survey", _lt("Completed a survey"), 80, 1, "month"),
    ("profile", _lt("Completed the profile"), 100, 1, "year"),
    ("referral", _lt("Referred a new customer"), 200, 5, "year"),
]


class CrmLoyaltyBehaviour(models.Model):
    """An action that is not a purchase but earns points (share, review...)."""

    _name = "crm.loyalty.behaviour"
    _description = "Loyalty Behaviour Points"
    _order = "program_id, sequence, id"

    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True, help="Used by web shops and apps to grant these points."
    )
    program_id = fields.Many2one(
        "loyalty.program",
        required=True,
        ondelete="cascade",
        domain="[('program_type', '=', 'loyalty')]",
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    points = fields.Float(required=True, default=50)
    cap_count = fields.Integer(
        "At most", default=1, help="Times per customer and period; 0 means no cap."
    )
    cap_period = fields.Selection(
        [
            ("day", "per day"),
            ("week", "per week"),
            ("month", "per month"),
            ("year", "per year"),
        ],
        "Period",
        default="month",
        required=True,
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "code_program_uniq",
            "UNIQUE(program_id, code)",
            "Behaviour codes are unique per program.",
        ),
        ("points_positive", "CHECK(points > 0)", "Behaviour points must be positive."),
        ("cap_positive", "CHECK(cap_count >= 0)", "The cap cannot be negative."),
        # Checked before the unique index, which refuses long keys with a
        # database error of its own.
        (
            "code_length",
            "CHECK(char_length(code) <= 64)",
            "Behaviour codes are at most 64 characters long.",
        ),
    ]

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        return show_points_by_precision(
            self, super().fields_get(allfields, attributes), attributes, ("points",)
        )

    @api.constrains("points")
    def _check_points(self):
        for behaviour in self:
            # NaN passes the SQL check (NaN is above every number there).
            if not 0 < behaviour.points <= MAX_POINTS:
                raise ValidationError(
                    self.env._(
                        "Behaviour points must be positive and at most %(max)s.",
                        max=MAX_POINTS,
                    )
                )

    @api.model
    def _create_defaults(self, programs):
        """The default catalogue of each program, named in every installed
        language from the addon's translations."""
        behaviours = self.with_context(lang="en_US").create(
            [
                {
                    "program_id": program.id,
                    "code": code,
                    "name": name._translate("en_US"),
                    "points": points,
                    "cap_count": cap,
                    "cap_period": period,
                    "sequence": index,
                }
                for program in programs
                for index, (code, name, points, cap, period) in enumerate(
                    DEFAULT_BEHAVIOURS
                )
            ]
        )
        installed = [code for code, _name in self.env["res.lang"].get_installed()]
        self._translate_default_names(installed, behaviours)
        return behaviours

    @api.model
    def _translate_default_names(self, langs, behaviours=None):
        """Name the default behaviours (those still named by their English
        default) in ``langs``, from the addon's translations; a name that a
        user translated is kept. Runs when defaults are created and when a
        language's translations are loaded, so that a language installed
        later names them too. One statement per language."""
        self.flush_model(["name", "code"])
        for lang in langs:
            if lang == "en_US":
                continue
            terms = [
                (code, name._translate("en_US"), name._translate(lang))
                for code, name, _points, _cap, _period in DEFAULT_BEHAVIOURS
            ]
            terms = [term for term in terms if term[1] != term[2]]
            if not terms:
                continue
            self.env.execute_query(
                SQL(
                    """
                    UPDATE crm_loyalty_behaviour b
                       SET name = b.name || jsonb_build_object(%(lang)s, t.name)
                      FROM unnest(%(codes)s::varchar[], %(sources)s::varchar[],
                                  %(names)s::varchar[]) AS t(code, source, name)
                     WHERE b.code = t.code AND b.name ->> 'en_US' = t.source
                       AND NOT b.name ? %(lang)s %(only)s
                    """,
                    lang=lang,
                    codes=[term[0] for term in terms],
                    sources=[term[1] for term in terms],
                    names=[term[2] for term in terms],
                    only=(
                        SQL("AND b.id = ANY(%s)", behaviours.ids)
                        if behaviours is not None
                        else SQL()
                    ),
                )
            )
        self.invalidate_model(["name"])

    # ------------------------------------------------------------------
    # Granting
    # ------------------------------------------------------------------

    @api.model
    def grant_behaviour_points(
        self, partner_id, code, reference, program_id=None, note=None
    ):
        """Public method for web shops and apps (XML-RPC / JSON-RPC).

        Grants the points of behaviour ``code`` to customer ``partner_id``,
        once per ``reference`` (the caller's own id of the event: a retried
        call returns the first result). Reserved to loyalty managers, which
        is what an integration user should be.

        Returns ``{"entry_id", "points", "balance", "duplicate"}``.
        """
        if not self.env.user.has_group("crm_loyalty.group_loyalty_manager"):
            raise AccessError(self.env._("Only loyalty managers can grant points."))
        if not isinstance(partner_id, int) or isinstance(partner_id, bool):
            raise ValidationError(self.env._("partner_id must be an integer id."))
        if not isinstance(code, str) or not code:
            raise ValidationError(self.env._("code must be a behaviour code."))
        if (
            not isinstance(reference, str)
            or not reference.strip()
            or len(reference) > 128
        ):
            raise ValidationError(
                self.env._(
                    "reference must be a non-empty text of at most 128 characters."
                )
            )
        if program_id is not None and (
            not isinstance(program_id, int) or isinstance(program_id, bool)
        ):
            raise ValidationError(self.env._("program_id must be an integer id."))
        if note is not None and not isinstance(note, str):
            raise ValidationError(self.env._("note must be a text."))
        partner = self.env["res.partner"].browse(partner_id).exists()
        if not partner:
            raise ValidationError(
                self.env._("There is no customer with id %(id)s.", id=partner_id)
            )
        partner.check_access("read")
        domain = [
            ("code", "=", code),
            ("program_id.crm_ledger_managed", "=", True),
            ("program_id.active", "=", True),
        ]
        if program_id:
            domain.append(("program_id", "=", program_id))
        behaviour = self.search(domain, limit=2)
        if not behaviour:
            raise ValidationError(
                self.env._(
                    "There is no active behaviour with code %(code)s.", code=code
                )
            )
        if len(behaviour) > 1:
            raise ValidationError(
                self.env._(
                    "Several programs have behaviour %(code)s: pass program_id.",
                    code=code,
                )
            )
        entry, duplicate = behaviour._grant(partner, reference.strip(), note)
        return {
            "entry_id": entry.id,
            "points": entry.points,
            "balance": entry.card_id.points,
            "duplicate": duplicate,
        }

    def _grant(self, partner, reference, note=None):
        """Post the points on the customer's card; returns (entry, duplicate)."""
        self.ensure_one()
        Entry = self.env["crm.loyalty.entry"].sudo()
        key = f"{self._name}:{self.id}:ref:{reference}"
        existing = Entry.search([("source_key", "=", key)], limit=1)
        if existing:
            return existing, True
        card = self._card_for(partner)
        if self.cap_count:
            start = periods.period_start(
                self.cap_period, fields.Date.context_today(self)
            )
            used = Entry.search_count(
                [
                    ("card_id", "=", card.id),
                    ("entry_type", "=", "behaviour"),
                    ("source_model", "=", self._name),
                    ("source_id", "=", self.id),
                    ("date", ">=", datetime.combine(start, time.min)),
                ]
            )
            if used >= self.cap_count:
                raise UserError(
                    self.env._(
                        "%(customer)s already received the points for %(behaviour)s "
                        "%(count)s time(s) %(period)s.",
                        customer=partner.display_name,
                        behaviour=self.name,
                        count=used,
                        period=dict(
                            self._fields["cap_period"]._description_selection(self.env)
                        )[self.cap_period],
                    )
                )
        # The behaviour's name in every language: the entry is worded in its
        # reader's (the customer on the portal, the salesperson...).
        self.flush_recordset(["name"])
        [(names,)] = self.env.execute_query(
            SQL("SELECT name FROM crm_loyalty_behaviour WHERE id = %s", self.id)
        )
        entry = Entry._post(
            card,
            "behaviour",
            self.points,
            key,
            source=self,
            reason_code="behaviour",
            reason_params={"name": names, "note": note or None},
        )
        company = self.program_id.company_id or self.env.company
        self.env["crm.loyalty.tier"].sudo().with_company(company)._update_members(
            partner, company=company
        )
        return entry, False

    def _card_for(self, partner):
        """The customer's card in the program (created when missing, as Odoo
        does for nominative loyalty programs)."""
        partner = partner.commercial_partner_id
        Card = self.env["loyalty.card"].sudo()
        card = Card.search(
            [("program_id", "=", self.program_id.id), ("partner_id", "=", partner.id)],
            limit=1,
        )
        return card or Card.create(
            {"program_id": self.program_id.id, "partner_id": partner.id}
        )

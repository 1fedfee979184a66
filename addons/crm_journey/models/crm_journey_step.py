from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

STEP_KINDS = [
    ("email", "Email"),
    ("sms", "Text message"),
    ("activity", "Activity for the salesperson"),
    ("coupon", "Coupon"),
    ("points", "Bonus points"),
    ("wait", "Wait"),
    ("branch", "Ordered since entering?"),
]


class CrmJourneyStep(models.Model):
    """One thing a journey does to its customers, run for a whole group of
    participants at once (``_execute``)."""

    _name = "crm.journey.step"
    _description = "Journey Step"
    _order = "journey_id, sequence, id"

    journey_id = fields.Many2one(
        "crm.journey", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="journey_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(STEP_KINDS, required=True, default="email")
    name = fields.Char(compute="_compute_name", store=True, readonly=False)
    wait_days = fields.Integer("Days", default=7)
    mail_template_id = fields.Many2one(
        "mail.template",
        "Email template",
        domain="[('model', '=', 'res.partner')]",
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        "Text message template",
        domain="[('model', '=', 'res.partner')]",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        "Activity",
        default=lambda self: self.env.ref(
            "mail.mail_activity_data_call", raise_if_not_found=False
        ),
    )
    activity_summary = fields.Char("Activity title", translate=True)
    activity_note = fields.Html("Instructions", translate=True)
    activity_days = fields.Integer("Due in (working days)", default=1)
    coupon_program_id = fields.Many2one(
        "loyalty.program",
        "Coupon program",
        domain="[('program_type', 'in', ('coupons', 'next_order_coupons')),"
        " ('company_id', 'in', (company_id, False))]",
    )
    coupon_mail_template_id = fields.Many2one(
        "mail.template",
        "Coupon email",
        domain="[('model', '=', 'loyalty.card')]",
        help="Sent with the coupon to customers who accept marketing emails. "
        "Empty: the program's own email at creation, if it has one.",
    )
    points = fields.Float(default=100.0)
    points_program_id = fields.Many2one(
        "loyalty.program",
        "Points program",
        domain="[('crm_ledger_managed', '=', True),"
        " ('company_id', 'in', (company_id, False))]",
    )
    branch_step_id = fields.Many2one(
        "crm.journey.step",
        "If ordered, go to",
        domain="[('journey_id', '=', journey_id), ('id', '!=', id)]",
        help="Empty: the customer who ordered leaves the journey (converted). "
        "Customers who did not order go on with the next step.",
    )
    reached_count = fields.Integer("Reached", compute="_compute_counts")
    skipped_count = fields.Integer(
        "Skipped",
        compute="_compute_counts",
        help="Customers this step did not reach: no consent or no address.",
    )
    converted_count = fields.Integer(
        "Ordered after",
        compute="_compute_counts",
        help="Customers this step reached who then ordered within the journey's "
        "conversion window.",
    )

    @api.depends("kind", "wait_days")
    def _compute_name(self):
        labels = dict(self._fields["kind"]._description_selection(self.env))
        for step in self:
            if step.kind == "wait":
                step.name = self.env._("Wait %(days)s days", days=step.wait_days)
            elif not step.name:
                step.name = labels.get(step.kind)

    @api.constrains("kind", "mail_template_id", "sms_template_id", "wait_days")
    def _check_kind(self):
        for step in self:
            missing = {
                "email": not step.mail_template_id,
                "sms": not step.sms_template_id,
                "coupon": not step.coupon_program_id,
                "points": not step.points_program_id or step.points <= 0,
                "activity": not step.activity_type_id,
                "wait": step.wait_days < 1,
            }.get(step.kind)
            if missing:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s of %(journey)s is not complete: an email "
                        "needs a template, a text message its template, a coupon "
                        "its program, bonus points a ledger program and more than "
                        "0 points, a wait at least one day.",
                        step=step.name or "",
                        journey=step.journey_id.name,
                    )
                )

    def _compute_counts(self):
        groups = self.env["crm.journey.trace"]._read_group(
            [("step_id", "in", self.ids)], ["step_id", "state"], ["__count"]
        )
        counts = {}
        for step, state, count in groups:
            counts[(step.id, state)] = count
        converted = dict(
            self.env["crm.journey.trace"]._read_group(
                [
                    ("step_id", "in", self.ids),
                    ("state", "=", "done"),
                    ("participant_id.converted", "=", True),
                ],
                ["step_id"],
                ["__count"],
            )
        )
        for step in self:
            step.reached_count = counts.get((step.id, "done"), 0)
            step.skipped_count = counts.get((step.id, "skipped"), 0)
            step.converted_count = converted.get(step, 0)

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------

    def _next_step(self):
        self.ensure_one()
        steps = self.journey_id.step_ids.sorted(lambda s: (s.sequence, s.id))
        position = list(steps).index(self)
        return steps[position + 1] if position + 1 < len(steps) else self.browse()

    def _execute(self, participants, as_of):
        """Run this step for these participants (all due, all at this step).

        Returns ``{participant id: outcome}``, an outcome being ``sent`` (a
        marketing message went out: it counts in the weekly cap), ``done``,
        ``skipped`` (no consent, no address), ``later`` (the weekly cap: the
        step runs again tomorrow), ``converted`` or a step to jump to
        (``branch``)."""
        self.ensure_one()
        return getattr(self, f"_execute_{self.kind}")(participants, as_of)

    def _execute_wait(self, participants, as_of):
        return dict.fromkeys(participants.ids, "done")

    def _execute_branch(self, participants, as_of):
        ordered = participants._ordered_since_entry()
        target = self.branch_step_id
        return {
            participant.id: (target or "converted")
            if participant.id in ordered
            else "done"
            for participant in participants
        }

    def _reachable(self, participants, as_of, kind=None):
        """Participants a marketing message (``kind``: email or sms) may
        reach tonight, those it may never reach (consent, address), and
        those the weekly cap holds back until tomorrow."""
        kind = kind or self.kind
        partners = participants.partner_id
        if kind == "email":
            # mail.thread.blacklist: the address is on Odoo's email blacklist.
            blocked = partners.filtered(
                lambda p: (
                    not p.email_normalized
                    or p.is_blacklisted
                    or p.lifecycle_no_marketing
                )
            )
        else:
            # mail.thread.phone: the number is on Odoo's phone blacklist.
            blocked = partners.filtered(
                lambda p: (
                    not p.phone_sanitized
                    or p.phone_sanitized_blacklisted
                    or p.lifecycle_no_marketing
                )
            )
        capped = self._capped(partners - blocked, as_of)
        reach = participants.filtered(
            lambda p: p.partner_id not in blocked and p.partner_id.id not in capped
        )
        never = participants.filtered(lambda p: p.partner_id in blocked)
        later = participants - reach - never
        return reach, never, later

    def _capped(self, partners, as_of):
        """Ids of the partners who got their weekly share of journey messages."""
        if not partners:
            return set()
        cap = self.journey_id.company_id.journey_weekly_cap
        self.env["crm.journey.trace"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id FROM crm_journey_trace
                 WHERE partner_id = ANY(%s) AND message_sent AND date > %s
                 GROUP BY partner_id HAVING COUNT(*) >= %s
                """,
                partners.ids,
                as_of - timedelta(days=7),
                cap,
            )
        )
        return {row[0] for row in rows}

    def _outcomes(self, reach, never, later):
        return {
            **dict.fromkeys(reach.ids, "sent"),
            **dict.fromkeys(never.ids, "skipped"),
            **dict.fromkeys(later.ids, "later"),
        }

    def _execute_email(self, participants, as_of):
        reach, never, later = self._reachable(participants, as_of)
        if reach:
            self._send_emails(self.mail_template_id, reach, reach.partner_id)
        return self._outcomes(reach, never, later)

    def _send_emails(self, template, participants, records):
        """Queue the template's emails for ``records`` (one per participant,
        in the same order), each with its unsubscribe link and header; Odoo's
        mail queue sends them."""
        # sudo: the nightly run sends on behalf of the company, whoever runs it.
        template = template.sudo()
        rendered = template._generate_template(
            records.ids, ("subject", "body_html", "email_from", "lang")
        )
        Mail = self.env["mail.mail"].sudo()
        vals_list = []
        for participant, record in zip(participants, records, strict=True):
            partner = participant.partner_id
            values = rendered[record.id]
            footer = partner._loyalty_unsubscribe_footer()
            vals_list.append(
                {
                    "subject": values.get("subject") or "",
                    "body_html": Markup(values.get("body_html") or "") + footer,
                    "email_from": values.get("email_from")
                    or participant.company_id.email_formatted,
                    "recipient_ids": [fields.Command.link(partner.id)],
                    "headers": partner._loyalty_mail_headers(),
                    "model": "res.partner",
                    "res_id": partner.id,
                    "auto_delete": True,
                    "is_notification": False,
                }
            )
        return Mail.create(vals_list)

    def _execute_sms(self, participants, as_of):
        reach, never, later = self._reachable(participants, as_of)
        if reach:
            template = self.sms_template_id.sudo()
            bodies = template._render_field("body", reach.partner_id.ids)
            # sudo: queued on behalf of the company; Odoo's SMS queue sends.
            self.env["sms.sms"].sudo().create(
                [
                    {
                        "number": participant.partner_id.phone_sanitized,
                        "body": bodies[participant.partner_id.id],
                        "partner_id": participant.partner_id.id,
                        "state": "outgoing",
                    }
                    for participant in reach
                ]
            )
        return self._outcomes(reach, never, later)

    def _execute_activity(self, participants, as_of):
        """An activity for each customer's salesperson (the journey's
        responsible when the customer has none), due in the step's working
        days; the tier's service level (account manager, response time)
        comes first."""
        journey = self.journey_id
        model_id = self.env["ir.model"]._get_id("res.partner")
        note = self.activity_note or Markup("<p>%s</p>") % self.env._(
            "Journey: %(journey)s", journey=journey.name
        )
        vals_list = []
        for participant in participants:
            partner = participant.partner_id
            # The tier's service level (account manager, response time).
            user, deadline = partner._loyalty_service(
                journey.company_id,
                as_of,
                max(self.activity_days, 0),
                partner.user_id or journey.user_id or self.env.user,
            )
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    "activity_type_id": self.activity_type_id.id,
                    "summary": self.activity_summary or journey.name,
                    "note": note,
                    "date_deadline": deadline,
                    "user_id": user.id,
                }
            )
        # sudo: the run creates the salespeople's activities, whoever runs it.
        self.env["mail.activity"].sudo().create(vals_list)
        return dict.fromkeys(participants.ids, "done")

    def _execute_coupon(self, participants, as_of):
        """A coupon of the program for every participant (an offer, not a
        message: the customer finds it at checkout and in the portal); the
        email about it only to those who accept marketing emails and are
        under the weekly cap (counted as an email)."""
        program = self.coupon_program_id.sudo()
        # Enough points on the coupon for its reward.
        points = max(program.reward_ids.mapped("required_points") or [1.0])
        # sudo: the run issues the company's coupons; loyalty_no_mail: the
        # program's own email is sent below, with consent.
        cards = (
            self.env["loyalty.card"]
            .sudo()
            .with_context(loyalty_no_mail=True)
            .create(
                [
                    {
                        "program_id": program.id,
                        "partner_id": participant.partner_id.id,
                        "points": points,
                    }
                    for participant in participants
                ]
            )
        )
        by_participant = dict(zip(participants.ids, cards, strict=True))
        template = (
            self.coupon_mail_template_id
            or program.communication_plan_ids.filtered(lambda c: c.trigger == "create")[
                :1
            ].mail_template_id
        )
        outcomes = dict.fromkeys(participants.ids, "done")
        if template:
            # The coupon stays issued; its email, like any other, needs
            # consent and room under the weekly cap (none: no email).
            reach, _never, _later = self._reachable(participants, as_of, "email")
            if reach:
                self._send_emails(
                    template,
                    reach,
                    self.env["loyalty.card"]
                    .sudo()
                    .browse([by_participant[p.id].id for p in reach]),
                )
                outcomes.update(dict.fromkeys(reach.ids, "sent"))
        return outcomes

    def _execute_points(self, participants, as_of):
        """Bonus points through the ledger, once per participant and step
        (the key makes a re-run post nothing)."""
        Entry = self.env["crm.loyalty.entry"].sudo()
        Behaviour = self.env["crm.loyalty.behaviour"].sudo()
        program = self.points_program_id
        # The journey's name in every language: the entry is worded in its
        # reader's (the customer on the portal, the salesperson...).
        self.journey_id.flush_recordset(["name"])
        [(names,)] = self.env.execute_query(
            SQL("SELECT name FROM crm_journey WHERE id = %s", self.journey_id.id)
        )
        for participant in participants:
            card = Behaviour.new({"program_id": program.id})._card_for(
                participant.partner_id
            )
            Entry._post(
                card,
                "bonus",
                self.points,
                f"crm.journey.participant:{participant.id}:step:{self.id}",
                source=participant,
                reason_code="journey",
                reason_params={"name": names},
            )
        return dict.fromkeys(participants.ids, "done")

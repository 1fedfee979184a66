from odoo import Command, api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import column_exists, table_exists

from ..tools import scoring


class CrmJourney(models.Model):
    """Journeys on the churn risk: the customer's risk rose into a level
    tonight (what the churn alert reacts to), so that what follows a
    rising risk (a call, a coupon, an email) is a journey with its control
    group and results."""

    _inherit = "crm.journey"

    trigger = fields.Selection(
        selection_add=[
            ("churn_level", "Churn risk rises into a level"),
            ("churn_alert", "A churn alert opens"),
        ],
        ondelete={"churn_level": "set default", "churn_alert": "set default"},
    )
    trigger_churn_level = fields.Selection(
        [("high", "High or critical"), ("critical", "Critical only")],
        "Risk level",
        default="high",
    )

    def _trigger_condition_other(self, as_of, since, partner_ids):
        if self.trigger not in ("churn_level", "churn_alert"):
            return super()._trigger_condition_other(as_of, since, partner_ids)
        levels = scoring.LEVELS[
            scoring.LEVELS.index(self.trigger_churn_level or "high") :
        ]
        if self.trigger == "churn_alert":
            # An alert opened since the last run (the nightly cap and its
            # priority chose whom), still open, at the level or above, that
            # no journey before this one took.
            return SQL(
                """EXISTS (
                       SELECT 1 FROM crm_churn_alert a
                        WHERE a.partner_id = pr.partner_id
                          AND a.company_id = pr.company_id
                          AND a.stage IN ('new', 'in_progress')
                          AND a.level IN %(levels)s
                          AND a.alert_date > %(since)s
                          AND a.alert_date <= %(as_of)s
                          AND (a.journey_id IS NULL OR a.journey_id = %(journey)s))""",
                levels=tuple(levels),
                since=since,
                as_of=as_of,
                journey=self.id,
            )
        # The score row keeps the level it came from until the level moves
        # again, and the night it moved (scored_on).
        self.env["crm.churn.risk"].flush_model()
        return SQL(
            """EXISTS (
                   SELECT 1 FROM crm_churn_risk r
                    WHERE r.partner_id = pr.partner_id
                      AND r.company_id = pr.company_id
                      AND NOT r.lost
                      AND r.level IN %(levels)s
                      AND (r.previous_level IS NULL
                           OR r.previous_level NOT IN %(levels)s)
                      AND r.scored_on > %(since)s AND r.scored_on <= %(as_of)s)""",
            levels=tuple(levels),
            since=since,
            as_of=as_of,
        )

    def _enrol(self, partner_ids, as_of):
        """An alert follows the first journey (by sequence) that takes its
        customer: the journeys enrol in that order, and the trigger leaves
        out the alerts a journey took before."""
        participants = super()._enrol(partner_ids, as_of)
        if self.trigger != "churn_alert" or not participants:
            return participants
        alerts = self.env["crm.churn.alert"].search(
            [
                ("partner_id", "in", participants.partner_id.ids),
                ("company_id", "=", self.company_id.id),
                ("stage", "in", ("new", "in_progress")),
                ("journey_id", "=", False),
            ]
        )
        if not alerts:
            return participants
        alerts._write_internal({"journey_id": self.id})
        # The journey's own control group gets no offer either: on the alert
        # it counts with the win-back control group.
        control = participants.filtered("is_control").partner_id
        if control and "alert_offer" in self.step_ids.mapped("kind"):
            alerts.filtered(
                lambda a: a.partner_id in control and a.offer_state == "none"
            )._write_internal({"offer_state": "control"})
        return participants

    @api.model
    def _enter_churn_alerts(self, alerts, today):
        """Enter the customers of alerts opened now into the running
        journeys a churn alert triggers, and run their first steps, so that
        the alert's activity and offer are there as it opens."""
        if not alerts:
            return
        # sudo: the churn run starts the company's journeys, whoever runs it.
        journeys = self.sudo().search(
            [
                ("state", "=", "running"),
                ("trigger", "=", "churn_alert"),
                ("company_id", "in", alerts.company_id.ids),
            ],
            order="company_id, sequence, id",
        )
        Participant = self.env["crm.journey.participant"].sudo()
        for journey in journeys:
            partner_ids = alerts.filtered(
                lambda a, j=journey: a.company_id == j.company_id
            ).partner_id.ids
            if journey._enrol(partner_ids, today):
                Participant._advance(partner_ids, today, journeys=journey)

    @api.model
    def _migrate_churn_playbooks(self):
        """Churn playbooks (crm_churn before 18.0.1.5.0) become journeys a
        churn alert triggers, with their data: the order, level, customers,
        activity, offer and email, in every language; their alerts follow
        the new journey. Run by the 18.0.1.5.0 migration, before Odoo drops
        the playbooks' table. Returns ``{playbook id: journeys}``."""
        cr = self.env.cr
        if not table_exists(cr, "crm_churn_playbook"):
            return {}
        cr.execute(
            """SELECT id, name, sequence, active, company_id, min_level,
                      partner_domain, activity_type_id, activity_summary,
                      activity_note, mail_template_id, offer_type,
                      coupon_program_id, points_program_id, bonus_points
                 FROM crm_churn_playbook ORDER BY sequence, id"""
        )
        playbooks = cr.dictfetchall()
        cr.execute(
            """SELECT res_id, name FROM ir_model_data
                WHERE model = 'crm.churn.playbook' AND module = 'crm_churn'"""
        )
        xmlids = dict(cr.fetchall())
        call = self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False)
        alerts_linked = column_exists(cr, "crm_churn_alert", "playbook_id")
        result = {}
        for playbook in playbooks:
            name = xmlids.get(playbook["id"], "")
            demo = name.startswith("crm_churn_playbook_") and self.env.ref(
                "crm_churn.crm_journey_churn_"
                + name.removeprefix("crm_churn_playbook_"),
                raise_if_not_found=False,
            )
            if demo:
                # The demo playbooks are demo journeys now, loaded with the
                # update: the alerts follow those.
                companies = demo.company_id
                if not playbook["active"]:
                    demo.state = "stopped"
            elif playbook["company_id"]:
                companies = self.env["res.company"].browse(playbook["company_id"])
            else:
                companies = self.env["res.company"].search([])
            journeys = self.browse()
            for company in companies:
                if demo:
                    journey = demo
                    offer_step = demo.step_ids.filtered(
                        lambda s: s.kind == "alert_offer"
                    )
                else:
                    journey, offer_step = self._journey_from_playbook(
                        playbook, company, call
                    )
                journeys |= journey
                if alerts_linked:
                    cr.execute(
                        """UPDATE crm_churn_alert
                              SET journey_id = %s, offer_step_id = %s
                            WHERE playbook_id = %s AND company_id = %s""",
                        (journey.id, offer_step.id or None, playbook["id"], company.id),
                    )
            result[playbook["id"]] = journeys
        cr.execute("DELETE FROM ir_model_data WHERE model = 'crm.churn.playbook'")
        self.env["crm.churn.alert"].invalidate_model(["journey_id", "offer_step_id"])
        return result

    @api.model
    def _journey_from_playbook(self, playbook, company, call):
        """One company's journey for a playbook row: its activity step, then
        its offer step when it made an offer or sent an email."""
        names = playbook["name"] or {}
        summaries = playbook["activity_summary"] or {}
        notes = playbook["activity_note"] or {}
        steps = [
            Command.create(
                {
                    "sequence": 10,
                    "kind": "activity",
                    "activity_type_id": playbook["activity_type_id"] or call.id,
                    "activity_summary": summaries.get("en_US"),
                    "activity_note": notes.get("en_US"),
                }
            )
        ]
        offer_type = playbook["offer_type"] or "none"
        if offer_type != "none" or playbook["mail_template_id"]:
            steps.append(
                Command.create(
                    {
                        "sequence": 20,
                        "kind": "alert_offer",
                        "alert_offer_type": offer_type,
                        "alert_mail_template_id": playbook["mail_template_id"],
                        "coupon_program_id": playbook["coupon_program_id"],
                        "points_program_id": playbook["points_program_id"],
                        "points": playbook["bonus_points"] or 0.0,
                    }
                )
            )
        journey = self.with_context(lang="en_US").create(
            {
                "name": names.get("en_US") or next(iter(names.values()), "?"),
                "sequence": playbook["sequence"],
                "company_id": company.id,
                "trigger": "churn_alert",
                "trigger_churn_level": playbook["min_level"] or "high",
                "partner_domain": playbook["partner_domain"] or "[]",
                # The alert's own control group (Settings) holds offers back,
                # as it did for the playbook.
                "control_share": 0.0,
                "period_days": 30,
                "conversion_days": company.churn_winback_days,
                "exit_on_audience": False,
                "step_ids": steps,
            }
        )
        journey.state = "running" if playbook["active"] else "stopped"
        others = {lang: value for lang, value in names.items() if lang != "en_US"}
        if others:
            journey.update_field_translations("name", others)
        activity = journey.step_ids.filtered(lambda s: s.kind == "activity")
        for field, values in (
            ("activity_summary", summaries),
            ("activity_note", notes),
        ):
            others = {lang: v for lang, v in values.items() if lang != "en_US" and v}
            if others:
                activity.update_field_translations(field, others)
        return journey, journey.step_ids.filtered(lambda s: s.kind == "alert_offer")


class CrmJourneyRun(models.Model):
    _inherit = "crm.journey.run"

    # Tonight's scores first: the churn trigger reads them.
    _batch_wait_for = ("crm.lifecycle.run", "crm.churn.run")

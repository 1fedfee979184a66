import json

from odoo.tests import tagged
from odoo.tools import SQL

from .common import ChurnCommon


@tagged("post_install", "-at_install")
class TestPlaybookMigration(ChurnCommon):
    """The churn playbooks of 18.0.1.4.0 become journeys a churn alert
    triggers (migrations/18.0.1.5.0): the playbooks' table and the alerts'
    column are built here as that version left them, inside the test's
    transaction."""

    def _legacy_tables(self):
        cr = self.env.cr
        cr.execute(
            """
            DROP TABLE IF EXISTS crm_churn_playbook;
            CREATE TABLE crm_churn_playbook (
                id serial PRIMARY KEY, name jsonb, sequence int, active bool,
                company_id int, min_level varchar, partner_domain varchar,
                activity_type_id int, activity_summary jsonb, activity_note jsonb,
                mail_template_id int, offer_type varchar, coupon_program_id int,
                points_program_id int, bonus_points numeric);
            ALTER TABLE crm_churn_alert ADD COLUMN IF NOT EXISTS playbook_id int;
            """
        )

    def _playbook(self, **vals):
        row = {
            "name": {"en_US": "Playbook"},
            "sequence": 10,
            "active": True,
            "company_id": self.company.id,
            "min_level": "high",
            "partner_domain": "[]",
            "activity_type_id": None,
            "activity_summary": None,
            "activity_note": None,
            "mail_template_id": None,
            "offer_type": "none",
            "coupon_program_id": None,
            "points_program_id": None,
            "bonus_points": 0,
            **vals,
        }
        for key in ("name", "activity_summary", "activity_note"):
            if row[key] is not None:
                row[key] = json.dumps(row[key])
        self.env.cr.execute(
            SQL(
                "INSERT INTO crm_churn_playbook (%s) VALUES %s RETURNING id",
                SQL(", ").join(SQL.identifier(column) for column in row),
                tuple(row.values()),
            )
        )
        return self.env.cr.fetchone()[0]

    def test_playbooks_become_journeys_with_their_data(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self._legacy_tables()
        program = self.env["loyalty.program"].create(
            {"name": "Migrated coupon", "program_type": "coupons"}
        )
        template = self.env.ref("crm_churn.mail_template_churn_winback")
        email = self.env.ref("mail.mail_activity_data_email")
        coupon_id = self._playbook(
            name={"en_US": "Valuable going quiet", "zh_CN": "高价值客户沉默"},
            sequence=5,
            min_level="critical",
            partner_domain="[('lifecycle_value_class', '=', 'high_value')]",
            activity_type_id=email.id,
            activity_summary={"en_US": "Write to them", "zh_CN": "写信给客户"},
            offer_type="coupon",
            coupon_program_id=program.id,
            mail_template_id=template.id,
        )
        call_id = self._playbook(name={"en_US": "Just call"}, active=False)
        shared_id = self._playbook(name={"en_US": "Every company"}, company_id=None)
        customer = self._customer("Migrated customer", self.salesman, 130)
        self.partners = customer
        self._run()
        alert = self._alerts(customer)
        self.env.cr.execute(
            "UPDATE crm_churn_alert SET playbook_id = %s WHERE id = %s",
            (coupon_id, alert.id),
        )
        alert._write_internal({"offer_type": "coupon", "offer_state": "to_approve"})

        result = self.env["crm.journey"]._migrate_churn_playbooks()

        journey = result[coupon_id]
        self.assertEqual(journey.name, "Valuable going quiet")
        self.assertEqual(journey.with_context(lang="zh_CN").name, "高价值客户沉默")
        self.assertEqual(
            (journey.trigger, journey.trigger_churn_level, journey.state),
            ("churn_alert", "critical", "running"),
        )
        self.assertEqual(
            journey.partner_domain, "[('lifecycle_value_class', '=', 'high_value')]"
        )
        self.assertEqual(journey.sequence, 5)
        self.assertEqual(journey.control_share, 0.0)
        activity, offer = journey.step_ids.sorted("sequence")
        self.assertEqual(
            (activity.kind, activity.activity_type_id, activity.activity_summary),
            ("activity", email, "Write to them"),
        )
        self.assertEqual(
            activity.with_context(lang="zh_CN").activity_summary, "写信给客户"
        )
        self.assertEqual(
            (offer.kind, offer.alert_offer_type, offer.coupon_program_id),
            ("alert_offer", "coupon", program),
        )
        self.assertEqual(offer.alert_mail_template_id, template)
        # The alert follows its journey; its approval makes the same offer.
        self.assertEqual((alert.journey_id, alert.offer_step_id), (journey, offer))
        alert.with_user(self.salesman).action_approve_offer()
        self.assertEqual(alert.coupon_id.program_id, program)
        # An archived playbook is a stopped journey with the plain call.
        stopped = result[call_id]
        self.assertEqual(stopped.state, "stopped")
        self.assertEqual(stopped.step_ids.kind, "activity")
        self.assertEqual(
            stopped.step_ids.activity_type_id,
            self.env.ref("mail.mail_activity_data_call"),
        )
        # A playbook of every company: one journey per company.
        self.assertEqual(
            result[shared_id].company_id, self.env["res.company"].search([])
        )
        # Their external ids go with them.
        self.assertFalse(
            self.env["ir.model.data"].search([("model", "=", "crm.churn.playbook")])
        )

    def test_nothing_to_migrate(self):
        # A database upgraded before the migration dropped the table.
        self.env.cr.execute("DROP TABLE IF EXISTS crm_churn_playbook")
        self.assertEqual(self.env["crm.journey"]._migrate_churn_playbooks(), {})

from odoo import api, fields, models


class CrmJourneyRun(models.Model):
    """The journeys' step of the night, on the engine of
    ``crm.lifecycle.batch.run``: for each batch of customers, close the
    runs that ended (orders, opt-outs, windows, audience), enter the
    customers the triggers take, and run the due steps.

    It waits for the lifecycle run of the night, so that the triggers read
    tonight's stages, segments and purchases."""

    _name = "crm.journey.run"
    _inherit = ["crm.lifecycle.batch.run"]
    _description = "Journey Run"
    _batch_size_param = "crm_journey.batch_size"
    _batch_default_size = 5000
    _batch_sync_limit = 10000
    _batch_cron_xmlid = "crm_journey.ir_cron_journey_nightly"
    _batch_wait_for = ("crm.lifecycle.run",)

    customers_total = fields.Integer("Customers to check")
    customers_done = fields.Integer("Customers checked")
    rows_written = fields.Integer("Steps run")
    entered_count = fields.Integer("Entered", readonly=True)

    def _run_now_title(self):
        return self.env._("Journeys")

    def _run_now_message(self, synchronous):
        if synchronous:
            return self.env._(
                "%(count)s customers checked: %(entered)s entered a journey, "
                "%(steps)s steps run.",
                count=self.customers_done,
                entered=self.entered_count,
                steps=self.rows_written,
            )
        return self.env._(
            "%(count)s customers will be checked in the background.",
            count=self.customers_total,
        )

    @api.model
    def _customers_query(self, after, limit=None, until=None):
        return self._profile_customers_query(after, limit, until)

    def _journeys(self):
        # sudo: the night runs every company's journeys, whoever started it.
        return (
            self.env["crm.journey"]
            .sudo()
            .search([("state", "=", "running")], order="company_id, sequence, id")
        )

    def _run_batch(self, partner_ids):
        """One batch of the night. Each worker writes only its batch's
        customers' runs (never the run record); the night's figures are
        counted once at the end."""
        return self._process_partners(partner_ids, self.as_of)

    @api.model
    def _process_partners(self, partner_ids, as_of):
        """Close the runs that ended, enter the customers the triggers take,
        run the due steps; returns the number of steps run."""
        Participant = self.env["crm.journey.participant"].sudo()
        Participant._close(partner_ids, as_of)
        for journey in self._journeys():
            journey._enrol(partner_ids, as_of)
        return Participant._advance(partner_ids, as_of)

    def _finish_vals(self):
        journeys = self._journeys()
        journeys.write({"last_run_on": self.as_of})
        entered = (
            self.env["crm.journey.participant"]
            .sudo()
            .search_count(
                [("journey_id", "in", journeys.ids), ("entered_on", "=", self.as_of)]
            )
        )
        return {"entered_count": entered}

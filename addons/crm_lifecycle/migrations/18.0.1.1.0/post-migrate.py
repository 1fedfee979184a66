"""18.0.1.1.0: a run's progress is read from its batches
(crm.lifecycle.batch), which several cron workers share; the runs made
before keep their figures as batch rows (``migrate_run_progress``)."""

from odoo.addons.crm_lifecycle.models.crm_lifecycle_batch import migrate_run_progress


def migrate(cr, version):
    if not version:
        return
    migrate_run_progress(cr, "crm.lifecycle.run", "crm_lifecycle_run")

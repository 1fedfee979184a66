"""18.0.1.2.0: the churn run is a configuration of crm_lifecycle's nightly
engine, whose progress is read from the run's batches; the runs made before
keep their figures as batch rows."""

from odoo.addons.crm_lifecycle.models.crm_lifecycle_batch import migrate_run_progress


def migrate(cr, version):
    if not version:
        return
    migrate_run_progress(cr, "crm.churn.run", "crm_churn_run")

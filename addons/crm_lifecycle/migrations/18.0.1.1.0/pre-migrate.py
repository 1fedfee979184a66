"""18.0.1.1.0: the lifecycle run is a configuration of the nightly engine
(crm.lifecycle.batch.run), whose count of written rows is ``rows_written``
in every step: the lifecycle run's ``profiles_written`` is renamed, its
figures kept (the field's own record follows the model at the update)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'crm_lifecycle_run'
           AND column_name = 'profiles_written'
        """
    )
    if cr.fetchone():
        cr.execute(
            "ALTER TABLE crm_lifecycle_run RENAME COLUMN profiles_written"
            " TO rows_written"
        )

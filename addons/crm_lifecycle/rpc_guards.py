"""Guards of the methods that RPC can call with any ids: a clear error in the
user's language instead of a database error or a half-done write."""

from odoo.exceptions import MissingError


def ensure_existing(records):
    """Refuse records that do not exist, before any query reads them: a
    deleted id, 0, None, or an id of the wrong type sent over RPC fails with
    a clear MissingError instead of a database error."""
    ids = records._ids
    if (
        not ids
        or any(type(id_) is not int for id_ in ids)
        or len(records.exists()) != len(ids)
    ):
        raise MissingError(
            records.env._("This record does not exist or has been deleted.")
        )

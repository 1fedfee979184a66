"""Which rows of a nightly snapshot moved.

A snapshot holds one row per customer and company (the lifecycle profile,
the churn risk). A batch computes every row anew and compares it with the
stored one: a row that did not move is not written, a stage that moved is
a history event, a mirrored value that moved is written on the partner.
These are the rules of that comparison, on plain dicts keyed by
``(partner_id, company_id)``.
"""


def key_of(row):
    return row["partner_id"], row["company_id"]


def unchanged(old, new, columns):
    """The stored row ``old`` (a dict, empty or None when there is none)
    shows what ``new`` shows in every one of ``columns``: nothing to write."""
    if not old:
        return False
    return all(old.get(column) == new.get(column) for column in columns)


def moves(rows, existing, column):
    """``(partner_id, company_id, old value, new value)`` of the rows whose
    ``column`` differs from the stored row's (a new row moves from None)."""
    found = []
    for row in rows:
        partner_id, company_id = key_of(row)
        old = existing.get((partner_id, company_id)) or {}
        if row[column] != old.get(column):
            found.append((partner_id, company_id, old.get(column), row[column]))
    return found


def mirrored(rows, existing, columns):
    """The rows to mirror on the partner: new ones, and those whose
    mirrored ``columns`` moved."""
    found = []
    for row in rows:
        old = existing.get(key_of(row))
        if not old or any(row[column] != old.get(column) for column in columns):
            found.append(row)
    return found


def gone(existing, seen):
    """Stored keys that the batch no longer computes (the customer has no
    row any more): their rows are deleted and their mirror cleared."""
    return [key for key in existing if key not in seen]

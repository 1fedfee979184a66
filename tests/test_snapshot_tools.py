"""Change detection of the nightly snapshots (crm_lifecycle/tools/snapshot.py),
without Odoo or a database."""

import pytest


@pytest.fixture(scope="module")
def snapshot(lifecycle_tools):
    return lifecycle_tools.snapshot


def row(partner_id, company_id=1, **values):
    return {"partner_id": partner_id, "company_id": company_id, **values}


def test_unchanged_only_when_every_compared_column_is_equal(snapshot):
    old = {"score": 40, "level": "medium", "strengths": {"a": 1}}
    assert snapshot.unchanged(old, {"score": 40, "level": "medium"}, ("score", "level"))
    assert not snapshot.unchanged(old, {"score": 41, "level": "medium"}, ("score",))
    # A column that is not compared may differ.
    assert snapshot.unchanged(old, {"score": 40, "strengths": {}}, ("score",))


def test_a_new_row_is_never_unchanged(snapshot):
    assert not snapshot.unchanged({}, {"score": 0}, ("score",))
    assert not snapshot.unchanged(None, {"score": 0}, ("score",))


def test_values_compare_by_value(snapshot):
    """Reasons are lists of [code, params] read back from jsonb, and a
    numeric read as float equals the float computed."""
    old = {"reasons": [["recency", {"days": 40}]], "value": 12.5}
    new = {"reasons": [["recency", {"days": 40}]], "value": 12.50}
    assert snapshot.unchanged(old, new, ("reasons", "value"))
    new["reasons"] = [["recency", {"days": 41}]]
    assert not snapshot.unchanged(old, new, ("reasons", "value"))


def test_moves_lists_changes_and_new_rows(snapshot):
    existing = {(1, 1): {"stage": "new"}, (2, 1): {"stage": "active"}}
    rows = [row(1, stage="new"), row(2, stage="loyal"), row(3, stage="new")]
    assert snapshot.moves(rows, existing, "stage") == [
        (2, 1, "active", "loyal"),
        (3, 1, None, "new"),
    ]


def test_moves_are_per_company(snapshot):
    existing = {(1, 1): {"stage": "new"}}
    assert snapshot.moves([row(1, 2, stage="new")], existing, "stage") == [
        (1, 2, None, "new")
    ]


def test_mirrored_rows_are_new_or_moved_in_a_mirrored_column(snapshot):
    existing = {
        (1, 1): {"stage": "new", "segment": "new"},
        (2, 1): {"stage": "new", "segment": "new"},
    }
    rows = [
        row(1, stage="new", segment="new", recency=3),
        row(2, stage="new", segment="promising"),
        row(3, stage="new", segment="new"),
    ]
    found = snapshot.mirrored(rows, existing, ("stage", "segment"))
    assert [r["partner_id"] for r in found] == [2, 3]


def test_gone_keys_are_stored_and_not_seen(snapshot):
    existing = {(1, 1): {}, (2, 1): {}, (2, 2): {}}
    assert snapshot.gone(existing, {(1, 1), (2, 1)}) == [(2, 2)]
    assert snapshot.gone(existing, set(existing)) == []

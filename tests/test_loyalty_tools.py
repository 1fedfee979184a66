"""Pure ledger rules of crm_loyalty: expiry dates and lot consumption."""

from datetime import date

import pytest


@pytest.fixture(scope="module")
def ledger(loyalty_tools):
    return loyalty_tools.ledger


def test_expiry_dates(ledger):
    assert ledger.expiry_date("never", 12, date(2026, 3, 15)) is None
    assert ledger.expiry_date("months", 12, date(2026, 3, 15)) == date(2027, 3, 15)
    assert ledger.expiry_date("months", 1, date(2026, 1, 31)) == date(2026, 2, 28)
    assert ledger.expiry_date("months", 1, date(2028, 1, 31)) == date(2028, 2, 29)
    assert ledger.expiry_date("months", 14, date(2026, 11, 30)) == date(2028, 1, 30)
    assert ledger.expiry_date("year_end", 0, date(2026, 3, 15)) == date(2026, 12, 31)
    with pytest.raises(ValueError):
        ledger.expiry_date("months", 0, date(2026, 3, 15))
    with pytest.raises(ValueError):
        ledger.expiry_date("weekly", 1, date(2026, 3, 15))


def test_soonest_expiry_is_consumed_first(ledger):
    lots = [
        (1, None, 100.0),
        (2, date(2027, 1, 1), 30.0),
        (3, date(2026, 6, 1), 20.0),
        (4, date(2026, 6, 1), 0.0),
    ]
    assert ledger.allocate(60, lots) == ([(3, 20.0), (2, 30.0), (1, 10.0)], 0)
    assert ledger.allocate(10, lots) == ([(3, 10)], 0)


def test_shortfall_when_lots_are_not_enough(ledger):
    allocations, shortfall = ledger.allocate(200, [(1, None, 50.0), (2, None, 25.0)])
    assert allocations == [(1, 50.0), (2, 25.0)]
    assert shortfall == 125
    with pytest.raises(ValueError):
        ledger.allocate(-1, [])


def test_equal_expiry_takes_the_oldest_lot_first(ledger):
    same = date(2026, 12, 31)
    assert ledger.allocate(5, [(9, same, 5.0), (4, same, 5.0)]) == ([(4, 5.0)], 0)


@pytest.fixture(scope="module")
def multipliers(loyalty_tools):
    return loyalty_tools.multipliers


def test_member_day_birthday_and_campaigns(multipliers):
    rules = multipliers.MultiplierRules(
        member_day_kind="weekday",
        member_day=2,  # Wednesday
        campaigns=(("Double week", date(2026, 3, 16), date(2026, 3, 22), 2.0),),
    )
    wednesday = date(2026, 3, 18)
    assert multipliers.applicable(rules, wednesday) == [
        ("member_day", 2.0),
        ("Double week", 2.0),
    ]
    assert multipliers.applicable(rules, date(2026, 3, 17), date(1990, 3, 2)) == [
        ("birthday", 3.0),
        ("Double week", 2.0),
    ]
    assert multipliers.applicable(rules, date(2026, 4, 2)) == []  # a Thursday
    monthly = multipliers.MultiplierRules(member_day_kind="monthday", member_day=1)
    assert multipliers.applicable(monthly, date(2026, 4, 1)) == [("member_day", 2.0)]
    off = multipliers.MultiplierRules(birthday_factor=1.0)
    assert multipliers.applicable(off, date(2026, 3, 1), date(1990, 3, 2)) == []


def test_stacking(multipliers):
    found = [("member_day", 2.0), ("birthday", 3.0)]
    assert multipliers.combine(found, "multiply") == (6.0, found)
    assert multipliers.combine(found, "max") == (3.0, [("birthday", 3.0)])
    assert multipliers.combine([], "multiply") == (1.0, [])


def test_period_starts(loyalty_tools):
    periods = loyalty_tools.periods
    wednesday = date(2026, 3, 18)
    assert periods.period_start("day", wednesday) == wednesday
    assert periods.period_start("week", wednesday) == date(2026, 3, 16)
    assert periods.period_start("month", wednesday) == date(2026, 3, 1)
    assert periods.period_start("year", wednesday) == date(2026, 1, 1)
    with pytest.raises(ValueError):
        periods.period_start("decade", wednesday)


def test_tier_rules(loyalty_tools):
    tiers_tool = loyalty_tools.tiers
    Tier = tiers_tool.Tier
    tiers = [
        Tier(1, 0, 0),
        Tier(2, 1000, 800),
        Tier(3, 3000, 2500),
        Tier(4, 8000, 6000),
    ]
    assert tiers_tool.qualified(999, tiers).tier_id == 1
    assert tiers_tool.qualified(3000, tiers).tier_id == 3
    # upgrades at once, never downgrades between requalifications
    assert tiers_tool.upgrade(1, 1500, tiers) == 2
    assert tiers_tool.upgrade(3, 10, tiers) == 3
    assert tiers_tool.upgrade(None, 9000, tiers) == 4
    # requalification: keep above retention, down one tier at most below it
    assert tiers_tool.requalify(3, 2600, tiers) == 3
    assert tiers_tool.requalify(4, 0, tiers) == 3
    assert tiers_tool.requalify(2, 900, tiers) == 2
    assert tiers_tool.requalify(2, 100, tiers) == 1
    assert tiers_tool.requalify(2, 5000, tiers) == 3
    assert tiers_tool.requalify(1, 0, tiers) == 1


def test_tier_windows(loyalty_tools):
    tiers_tool = loyalty_tools.tiers
    assert tiers_tool.window_start("calendar", date(2026, 8, 9)) == date(2026, 1, 1)
    assert tiers_tool.window_start("rolling", date(2026, 8, 9)) == date(2025, 8, 10)
    assert tiers_tool.window_start("rolling", date(2028, 2, 29)) == date(2027, 3, 1)
    with pytest.raises(ValueError):
        tiers_tool.window_start("lunar", date(2026, 8, 9))


def test_reasons_written_before_codes_are_read_back_as_codes(ledger):
    assert ledger.legacy_reason("Points earned on 2025-11-06 10:00:00 expired") == (
        "expire",
        {"earned_on": "2025-11-06 10:00:00"},
    )
    assert ledger.legacy_reason("Order S00042") == ("order", {"order": "S00042"})
    assert ledger.legacy_reason("Order S00042 cancelled") == (
        "order_cancel",
        {"order": "S00042"},
    )
    # A manager's typed reason stays as typed.
    assert ledger.legacy_reason("Order S00042 was a gift") is None
    assert ledger.legacy_reason("Goodwill") is None
    assert ledger.legacy_reason(False) is None


def test_unsubscribe_line_goes_inside_the_block_once(loyalty_tools):
    tool = loyalty_tools.unsubscribe
    line = tool.footer("object", "Stop?", "Unsubscribe")
    assert 't-att-href="object._loyalty_unsubscribe_url()"' in line
    body = "<div><p>Hello</p></div>"
    new = tool.add_footer(body, line)
    assert new == "<div><p>Hello</p>" + line + "</div>"
    assert tool.add_footer(new, line) is None, "a second upgrade adds nothing"
    assert tool.add_footer("<p>Plain</p>", line) == "<p>Plain</p>" + line
    assert tool.add_footer("", line) is None

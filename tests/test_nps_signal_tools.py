"""crm_churn_survey/tools/nps_signals.py, without the database."""

from datetime import date

from conftest import load_tools

ns = load_tools("crm_churn_survey").nps_signals

DAY = date(2026, 11, 30)


def test_detractor_strength_by_category():
    assert ns.detractor_strength(0) == 1.0
    assert ns.detractor_strength(6) == 0.5
    assert ns.detractor_strength(7) == ns.detractor_strength(8) == 0.2
    assert ns.detractor_strength(9) == ns.detractor_strength(10) == 0.0


def test_falling_strength():
    assert ns.falling_strength(9, 4) == 1.0
    assert ns.falling_strength(9, 7) == 0.4
    assert ns.falling_strength(5, 8) == 0.0
    assert ns.falling_strength(None, 3) is None


def test_signals_of_the_last_two_answers_while_recent():
    answers = [(3, date(2026, 11, 2), "delivery was late"), (9, date(2026, 6, 1), "")]
    found = ns.nps_signals(answers, DAY)
    assert found["nps_detractor"] == (
        0.75,
        {"score": 3, "date": "2026-11-02", "comment": "delivery was late"},
    )
    assert found["nps_falling"] == (1.0, {"previous": 9, "score": 3})
    assert ns.nps_signals(answers, date(2027, 6, 1)) == {}
    assert ns.nps_signals([], DAY) == {}
    assert set(ns.nps_signals(answers[:1], DAY)) == {"nps_detractor"}

"""Churn-risk signals from a customer's NPS answers.

A recent detractor answer is a sign of leaving, stronger the lower the
score; a score that fell between the last two answers is another. Both are
measured from the answers known on the scoring day only (a backtest replays
a past day), and only while the last answer is recent: an old grudge the
customer has bought through since says little.
"""

# Days after an answer during which it counts.
WINDOW_DAYS = 180
# Fall (in points out of 10) that makes the strongest "falling" signal.
FULL_FALL = 5.0


def _clamp(value):
    return max(0.0, min(1.0, float(value)))


def detractor_strength(score):
    """0-6 (detractor): from 0.5 (6) to 1.0 (0); 7-8 (passive): 0.2, under
    the strength a reason needs; 9-10 (promoter): 0."""
    if score is None:
        return None
    if score <= 6:
        return _clamp(1.0 - score / 12.0)
    if score <= 8:
        return 0.2
    return 0.0


def falling_strength(previous, score):
    """The fall from the previous answer to the last, out of FULL_FALL
    points; a rise or the same score is 0."""
    if previous is None or score is None:
        return None
    return _clamp((previous - score) / FULL_FALL)


def nps_signals(answers, as_of, window_days=WINDOW_DAYS):
    """``{code: (strength, params)}`` from a customer's answers.

    :param answers: ``(score, date, comment)`` tuples, the last answer first,
        all on or before ``as_of``
    :return: ``nps_detractor`` when the last answer is at most
        ``window_days`` old, and ``nps_falling`` when there is an earlier
        one too; the params are what a reason is worded with (the date as
        ISO text: they are stored as JSON)
    """
    if not answers:
        return {}
    score, day, comment = answers[0]
    if score is None or (as_of - day).days > window_days:
        return {}
    out = {
        "nps_detractor": (
            detractor_strength(score),
            {"score": score, "date": day.isoformat(), "comment": comment or ""},
        )
    }
    if len(answers) > 1 and answers[1][0] is not None:
        previous = answers[1][0]
        out["nps_falling"] = (
            falling_strength(previous, score),
            {"previous": previous, "score": score},
        )
    return out

"""Excel statement of a customer's points, written with XlsxWriter."""

import io
import re

import xlsxwriter

# strftime directives of a language's date and time formats, in Excel's terms.
_EXCEL_CODES = {
    "%d": "dd",
    "%e": "d",
    "%m": "mm",
    "%b": "mmm",
    "%B": "mmmm",
    "%y": "yy",
    "%Y": "yyyy",
    "%H": "hh",
    "%I": "hh",
    "%M": "mm",
    "%S": "ss",
    "%p": "AM/PM",
    "%a": "ddd",
    "%A": "dddd",
}


def excel_format(strftime_format):
    """Excel number format of a language's date (or time) format, e.g.
    ``%m/%d/%Y`` -> ``mm/dd/yyyy``, ``%Y年%m月%d日`` -> ``yyyy"年"mm"月"dd"日"``
    (other text quoted, so that Excel shows it as it is)."""
    parts = []
    for token in re.split(r"(%[a-zA-Z])", strftime_format or "%Y-%m-%d"):
        if not token:
            continue
        if token in _EXCEL_CODES:
            parts.append(_EXCEL_CODES[token])
        elif token.startswith("%"):
            continue
        elif re.fullmatch(r"[-/.:, ]+", token):
            parts.append(token)
        else:
            parts.append('"' + token.replace('"', "") + '"')
    return "".join(parts)


def points_statement(title, cards, entries, labels, digits=2):
    """Return the bytes of a workbook with one summary sheet and one sheet of
    entries (oldest first, with a running balance per card).

    Points show with ``digits`` decimals, those of the ledger's precision,
    like every other screen; dates are naive and already in the reader's time
    zone.

    :param cards: dicts ``program, code, balance, expiring_30, expiring_90``
    :param entries: dicts ``date, card, type, points, reason, expiry``
        sorted by date
    :param labels: translated headings keyed like the dicts, plus
        ``summary_sheet``, ``entries_sheet``, ``running``, and optionally the
        reader's ``date_format`` and ``time_format`` (strftime, as on
        ``res.lang``)
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    heading = book.add_format({"bold": True, "font_size": 14})
    header = book.add_format(
        {"bold": True, "bg_color": "#017E84", "font_color": "#FFFFFF", "border": 1}
    )
    number = book.add_format(
        {"num_format": "#,##0" + ("." + "0" * digits if digits > 0 else "")}
    )
    day_format = excel_format(labels.get("date_format"))
    time_format = excel_format(labels.get("time_format") or "%H:%M")
    day = book.add_format({"num_format": day_format})
    stamp = book.add_format({"num_format": f"{day_format} {time_format}"})

    summary = book.add_worksheet(labels["summary_sheet"][:31])
    summary.write(0, 0, title, heading)
    columns = ["program", "code", "balance", "expiring_30", "expiring_90"]
    for col, key in enumerate(columns):
        summary.write(2, col, labels[key], header)
        summary.set_column(col, col, 24 if col < 2 else 16)
    for row, card in enumerate(cards, start=3):
        summary.write(row, 0, card["program"])
        summary.write(row, 1, card["code"])
        for col, key in enumerate(columns[2:], start=2):
            summary.write_number(row, col, card[key] or 0.0, number)

    sheet = book.add_worksheet(labels["entries_sheet"][:31])
    columns = ["date", "card", "type", "points", "running", "reason", "expiry"]
    widths = [18, 20, 14, 12, 14, 40, 12]
    for col, (key, width) in enumerate(zip(columns, widths, strict=True)):
        sheet.write(0, col, labels[key], header)
        sheet.set_column(col, col, width)
    running = {}
    for row, entry in enumerate(entries, start=1):
        running[entry["card"]] = running.get(entry["card"], 0.0) + entry["points"]
        sheet.write_datetime(row, 0, entry["date"], stamp)
        sheet.write(row, 1, entry["card"])
        sheet.write(row, 2, entry["type"])
        sheet.write_number(row, 3, entry["points"], number)
        sheet.write_number(row, 4, running[entry["card"]], number)
        sheet.write(row, 5, entry["reason"] or "")
        if entry.get("expiry"):
            sheet.write_datetime(row, 6, entry["expiry"], day)
    if entries:
        sheet.autofilter(0, 0, len(entries), len(columns) - 1)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()

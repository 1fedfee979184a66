"""Excel statement of a customer's points, written with XlsxWriter."""

import io

import xlsxwriter


def points_statement(title, cards, entries, labels):
    """Return the bytes of a workbook with one summary sheet and one sheet of
    entries (oldest first, with a running balance per card).

    :param cards: dicts ``program, code, balance, expiring_30, expiring_90``
    :param entries: dicts ``date, card, type, points, reason, expiry``
        sorted by date
    :param labels: translated headings keyed like the dicts, plus
        ``summary_sheet``, ``entries_sheet``, ``running``
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    heading = book.add_format({"bold": True, "font_size": 14})
    header = book.add_format(
        {"bold": True, "bg_color": "#017E84", "font_color": "#FFFFFF", "border": 1}
    )
    number = book.add_format({"num_format": "#,##0.00"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})

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

"""Excel list of the customers at risk of churning, written with XlsxWriter.

Kept free of Odoo so that the layout can be tested by reading the file back
(``tests/test_churn_xlsx.py`` loads it with openpyxl, without a database).
"""

import io
import math
import unicodedata

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

HEADER_ROW = 2
FIRST_ROW = HEADER_ROW + 1
REASONS_WIDTH = 50
MAX_TEXT_WIDTH = 40
LINE_HEIGHT = 15

# (key, kind, minimum width); the order is the column order of the sheet.
COLUMNS = [
    ("customer", "text", 24),
    ("salesperson", "text", 16),
    ("score", "int", 7),
    ("level", "text", 10),
    ("reasons", "wrap", REASONS_WIDTH),
    ("stage", "text", 12),
    ("segment", "text", 14),
    ("value_class", "text", 12),
    ("historic_clv", "money", 14),
    ("predicted_clv", "money", 14),
    ("last_order", "date", 11),
    ("days_since_last_order", "int", 8),
    ("alert", "text", 12),
]
COLUMN = {key: col for col, (key, _kind, _width) in enumerate(COLUMNS)}


def _display_width(text):
    """Width of ``text`` in character cells (CJK characters take two)."""
    return sum(
        2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text
    )


def _line_count(text, width):
    """Lines taken by ``text`` in a wrapped column ``width`` characters wide."""
    return sum(
        max(1, math.ceil(_display_width(line) / width))
        for line in str(text).split("\n")
    )


def _column_width(key, kind, minimum, heading, rows):
    if kind == "wrap":
        return minimum
    width = max(minimum, _display_width(heading) + 2)
    if kind == "text":
        longest = max(
            (_display_width(str(row.get(key) or "")) for row in rows), default=0
        )
        width = max(width, min(longest + 2, MAX_TEXT_WIDTH))
    return width


def at_risk_report(title, subtitle, rows, labels):
    """Build the workbook and return its bytes.

    :param title: heading of the sheet (already translated)
    :param subtitle: second line, e.g. company and date (already formatted)
    :param rows: dicts with ``customer, salesperson, score, level, reasons,
        stage, segment, value_class, historic_clv, predicted_clv, last_order,
        days_since_last_order, alert``, written in the given order (the caller
        sorts them); ``reasons`` holds one reason a line, ``last_order`` is a
        ``datetime.date``; ``None`` or ``False`` leaves the cell blank
    :param labels: column headings (translated), keyed like the row dicts,
        plus ``sheet`` (sheet name) and ``total`` (label of the totals row)

    Row 0 holds the title, row 1 the subtitle, row 2 the headings and the
    customers follow. The totals row under them carries the number of
    customers (in the salesperson column) and the sums of both CLV columns;
    they are ``SUBTOTAL`` formulas, so they follow the autofilter in Excel,
    with the totals of all rows stored as their cached values.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    heading = book.add_format({"bold": True, "font_size": 14})
    header = book.add_format(
        {"bold": True, "bg_color": "#714B67", "font_color": "#FFFFFF", "border": 1}
    )
    formats = {
        "text": book.add_format({"valign": "top"}),
        "wrap": book.add_format({"valign": "top", "text_wrap": True}),
        "int": book.add_format({"valign": "top", "num_format": "0"}),
        "money": book.add_format({"valign": "top", "num_format": "#,##0.00"}),
        "date": book.add_format({"valign": "top", "num_format": "yyyy-mm-dd"}),
    }
    total_text = book.add_format({"bold": True, "top": 1})
    total_count = book.add_format({"bold": True, "top": 1, "num_format": "0"})
    total_money = book.add_format({"bold": True, "top": 1, "num_format": "#,##0.00"})

    sheet = book.add_worksheet(labels["sheet"][:31])
    sheet.write_string(0, 0, title, heading)
    if subtitle:
        sheet.write_string(1, 0, subtitle)
    for col, (key, kind, minimum) in enumerate(COLUMNS):
        sheet.write_string(HEADER_ROW, col, labels[key], header)
        width = _column_width(key, kind, minimum, labels[key], rows)
        sheet.set_column(col, col, width)

    row = FIRST_ROW
    for row_data in rows:
        for col, (key, kind, _minimum) in enumerate(COLUMNS):
            value = row_data.get(key)
            fmt = formats[kind]
            if value is None or value is False or value == "":
                sheet.write_blank(row, col, None, fmt)
            elif kind == "date":
                sheet.write_datetime(row, col, value, fmt)
            elif kind in ("int", "money"):
                sheet.write_number(row, col, value, fmt)
            else:
                # write_string: a name starting with "=" stays text, never
                # a formula.
                sheet.write_string(row, col, str(value), fmt)
        lines = _line_count(row_data.get("reasons") or "", REASONS_WIDTH)
        if lines > 1:
            sheet.set_row(row, LINE_HEIGHT * lines)
        row += 1
    last = row - 1  # last customer row; HEADER_ROW when there is none

    for col in range(len(COLUMNS)):
        sheet.write_blank(row, col, None, total_text)
    sheet.write_string(row, COLUMN["customer"], labels["total"], total_text)
    totals = [
        ("salesperson", 103, "customer", len(rows), total_count),
        ("historic_clv", 109, "historic_clv", None, total_money),
        ("predicted_clv", 109, "predicted_clv", None, total_money),
    ]
    for target, function, source, value, fmt in totals:
        if value is None:
            value = sum(r.get(source) or 0 for r in rows)
        if rows:
            letter = xl_col_to_name(COLUMN[source])
            span = f"{letter}{FIRST_ROW + 1}:{letter}{last + 1}"
            formula = f"=SUBTOTAL({function},{span})"
            sheet.write_formula(row, COLUMN[target], formula, fmt, value)
        else:
            sheet.write_number(row, COLUMN[target], value, fmt)

    if rows:
        score = COLUMN["score"]
        sheet.conditional_format(
            FIRST_ROW,
            score,
            last,
            score,
            {
                "type": "3_color_scale",
                "min_type": "num",
                "min_value": 0,
                "min_color": "#63BE7B",
                "mid_type": "num",
                "mid_value": 50,
                "mid_color": "#FFEB84",
                "max_type": "num",
                "max_value": 100,
                "max_color": "#F8696B",
            },
        )
    sheet.autofilter(HEADER_ROW, 0, last, len(COLUMNS) - 1)
    sheet.freeze_panes(FIRST_ROW, 1)

    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(HEADER_ROW)
    sheet.set_footer("&C&P / &N")
    book.close()
    return buffer.getvalue()

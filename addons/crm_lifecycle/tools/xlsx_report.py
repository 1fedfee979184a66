"""Excel segment report, written with XlsxWriter.

Kept free of Odoo so that the layout can be tested by reading the file back.
"""

import io

import xlsxwriter


def segment_report(title, summary_rows, detail_rows, labels):
    """Build the workbook and return its bytes.

    :param title: heading of the summary sheet (already translated)
    :param summary_rows: dicts with ``segment, customers, share, revenue,
        avg_order_value, avg_recency, clv_12m``
    :param detail_rows: dicts with ``customer, segment, stage, value_class, r,
        f, m, orders, first_order, last_order, revenue, clv_12m``
    :param labels: column headings and sheet names (translated), keyed like
        the row dicts plus ``summary_sheet`` and ``detail_sheet``
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    heading = book.add_format({"bold": True, "font_size": 14})
    header = book.add_format(
        {"bold": True, "bg_color": "#714B67", "font_color": "#FFFFFF", "border": 1}
    )
    money = book.add_format({"num_format": "#,##0.00"})
    percent = book.add_format({"num_format": "0.0%"})
    number = book.add_format({"num_format": "0"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    total = book.add_format({"bold": True, "top": 1, "num_format": "#,##0.00"})

    summary = book.add_worksheet(labels["summary_sheet"][:31])
    summary.write(0, 0, title, heading)
    columns = [
        ("segment", None, 26),
        ("customers", number, 12),
        ("share", percent, 10),
        ("revenue", money, 16),
        ("avg_order_value", money, 16),
        ("avg_recency", number, 14),
        ("clv_12m", money, 18),
    ]
    for col, (key, _fmt, width) in enumerate(columns):
        summary.write(2, col, labels[key], header)
        summary.set_column(col, col, width)
    row = 3
    for row_data in summary_rows:
        for col, (key, fmt, _width) in enumerate(columns):
            value = row_data.get(key)
            if value is None:
                summary.write_blank(row, col, None)
            elif fmt:
                summary.write_number(row, col, value, fmt)
            else:
                summary.write(row, col, value)
        row += 1
    if summary_rows:
        summary.write(row, 0, labels["total"], total)
        for col, key in ((1, "customers"), (3, "revenue"), (6, "clv_12m")):
            summary.write_number(
                row, col, sum(r.get(key) or 0 for r in summary_rows), total
            )
    summary.freeze_panes(3, 1)

    detail = book.add_worksheet(labels["detail_sheet"][:31])
    detail_columns = [
        ("customer", None, 32),
        ("segment", None, 20),
        ("stage", None, 14),
        ("value_class", None, 14),
        ("r", number, 5),
        ("f", number, 5),
        ("m", number, 5),
        ("orders", number, 8),
        ("first_order", day, 12),
        ("last_order", day, 12),
        ("revenue", money, 14),
        ("clv_12m", money, 14),
    ]
    for col, (key, _fmt, width) in enumerate(detail_columns):
        detail.write(0, col, labels[key], header)
        detail.set_column(col, col, width)
    for row, row_data in enumerate(detail_rows, start=1):
        for col, (key, fmt, _width) in enumerate(detail_columns):
            value = row_data.get(key)
            if value is None or value is False:
                detail.write_blank(row, col, None)
            elif fmt is day:
                detail.write_datetime(row, col, value, day)
            elif fmt:
                detail.write_number(row, col, value, fmt)
            else:
                detail.write(row, col, value)
    if detail_rows:
        detail.autofilter(0, 0, len(detail_rows), len(detail_columns) - 1)
    detail.freeze_panes(1, 1)
    book.close()
    return buffer.getvalue()

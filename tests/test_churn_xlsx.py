"""Excel list of the customers at risk (crm_churn), read back with openpyxl,
without Odoo or a database."""

import importlib
import io
from datetime import date, datetime

import openpyxl
import pytest

TODAY = date(2026, 6, 30)

LABELS = {
    "sheet": "Customers at risk of churning this quarter",
    "total": "Total",
    "customer": "Customer",
    "salesperson": "Salesperson",
    "score": "Score",
    "level": "Level",
    "reasons": "Reasons",
    "stage": "Stage",
    "segment": "Segment",
    "value_class": "Value class",
    "historic_clv": "Historic CLV",
    "predicted_clv": "Predicted CLV",
    "last_order": "Last order",
    "days_since_last_order": "Days since last order",
    "alert": "Alert",
}
# Written out rather than taken from the module, so that a change of the
# column order in the writer makes these tests fail.
HEADERS = [
    "Customer",
    "Salesperson",
    "Score",
    "Level",
    "Reasons",
    "Stage",
    "Segment",
    "Value class",
    "Historic CLV",
    "Predicted CLV",
    "Last order",
    "Days since last order",
    "Alert",
]

# Given by score, descending (as the caller sorts them); the names run the
# other way, so a writer that re-sorted the rows would be caught.
ROWS = [
    {
        "customer": "Zeta Corp",
        "salesperson": "Marc Demo",
        "score": 85,
        "level": "High",
        "reasons": "No order for 200 days\nOrders are getting rarer\nOpen claim",
        "stage": "At risk",
        "segment": "Cannot lose them",
        "value_class": "High value",
        "historic_clv": 12500.5,
        "predicted_clv": 1500.25,
        "last_order": date(2025, 12, 12),
        "days_since_last_order": 200,
        "alert": "New",
    },
    {
        "customer": "Alpha Ltd",
        "salesperson": False,
        "score": 40,
        "level": "Medium",
        "reasons": "Smaller baskets",
        "stage": "Active",
        "segment": "Need attention",
        "value_class": "Low value",
        "historic_clv": 800.0,
        "predicted_clv": None,
        "last_order": None,
        "days_since_last_order": None,
        "alert": "",
    },
]


@pytest.fixture(scope="module")
def at_risk_report(request):
    """The writer, imported through the ``crm_churn_tools`` package.

    The package ``__init__`` also imports sibling modules that may be written
    after this one; ``load_tools`` registers the package before running it, so
    this module can still be imported on its own when a sibling is missing.
    """
    try:
        request.getfixturevalue("churn_tools")
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("crm_churn_tools."):
            raise
    module = importlib.import_module("crm_churn_tools.xlsx_report")
    return module.at_risk_report


def build(at_risk_report, rows, data_only=True):
    content = at_risk_report(
        "Customers at risk", "YourCompany, 2026-06-30", rows, LABELS
    )
    assert content[:2] == b"PK"
    book = openpyxl.load_workbook(io.BytesIO(content), data_only=data_only)
    assert book.sheetnames == [LABELS["sheet"][:31]]
    return book.active


def values(sheet, row):
    return [cell.value for cell in sheet[row]][: len(HEADERS)]


def test_layout(at_risk_report):
    sheet = build(at_risk_report, ROWS)
    assert sheet.title == "Customers at risk of churning t"
    assert sheet["A1"].value == "Customers at risk"
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 14
    assert sheet["A2"].value == "YourCompany, 2026-06-30"
    assert values(sheet, 3) == HEADERS
    assert sheet["A3"].fill.fgColor.rgb == "FF714B67"
    assert sheet.max_column == len(HEADERS)


def test_rows_in_given_order(at_risk_report):
    sheet = build(at_risk_report, ROWS)
    assert values(sheet, 4) == [
        "Zeta Corp",
        "Marc Demo",
        85,
        "High",
        "No order for 200 days\nOrders are getting rarer\nOpen claim",
        "At risk",
        "Cannot lose them",
        "High value",
        12500.5,
        1500.25,
        datetime(2025, 12, 12),
        200,
        "New",
    ]
    # False, None and "" are left blank.
    assert values(sheet, 5) == [
        "Alpha Ltd",
        None,
        40,
        "Medium",
        "Smaller baskets",
        "Active",
        "Need attention",
        "Low value",
        800.0,
        None,
        None,
        None,
        None,
    ]


def test_cell_formats(at_risk_report):
    sheet = build(at_risk_report, ROWS)
    assert sheet["K4"].is_date
    assert sheet["K4"].number_format == "yyyy-mm-dd"
    assert sheet["I4"].number_format == "#,##0.00"
    assert sheet["J4"].number_format == "#,##0.00"
    assert sheet["E4"].alignment.wrap_text
    # Three reasons, three lines; a single reason keeps the default height.
    assert sheet.row_dimensions[4].height == 45
    assert sheet.row_dimensions[5].height is None


def test_long_reason_wraps_onto_more_lines(at_risk_report):
    row = dict(ROWS[1], reasons="x" * 120 + "\nshort")
    sheet = build(at_risk_report, [row])
    assert sheet.row_dimensions[4].height == 4 * 15


def test_totals_row(at_risk_report):
    sheet = build(at_risk_report, ROWS)
    assert values(sheet, 6)[:2] == ["Total", 2]
    assert sheet["I6"].value == pytest.approx(13300.5)
    assert sheet["J6"].value == pytest.approx(1500.25)
    assert sheet["I6"].number_format == "#,##0.00"
    assert sheet["A6"].font.b
    # Formulas follow the autofilter in Excel; cached values are read above.
    formulas = build(at_risk_report, ROWS, data_only=False)
    assert formulas["B6"].value == "=SUBTOTAL(103,A4:A5)"
    assert formulas["I6"].value == "=SUBTOTAL(109,I4:I5)"
    assert formulas["J6"].value == "=SUBTOTAL(109,J4:J5)"


def test_score_colour_scale(at_risk_report):
    sheet = build(at_risk_report, ROWS)
    ranges = {str(cf.sqref): cf.rules for cf in sheet.conditional_formatting}
    assert list(ranges) == ["C4:C5"]
    (rule,) = ranges["C4:C5"]
    assert rule.type == "colorScale"
    scale = rule.colorScale
    assert [(v.type, float(v.val)) for v in scale.cfvo] == [
        ("num", 0),
        ("num", 50),
        ("num", 100),
    ]
    # green (low score) -> yellow -> red (high score)
    assert [c.rgb for c in scale.color] == ["FF63BE7B", "FFFFEB84", "FFF8696B"]


def test_sheet_setup(at_risk_report):
    sheet = build(at_risk_report, ROWS)
    assert sheet.freeze_panes == "B4"
    assert sheet.auto_filter.ref == "A3:M5"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # fitToWidth defaults to 1 in the file format, and XlsxWriter omits it.
    assert sheet.page_setup.fitToWidth in (None, 1)
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows.replace("$", "") == "3:3"
    assert sheet.column_dimensions["E"].width > sheet.column_dimensions["C"].width


def test_text_is_never_a_formula(at_risk_report):
    row = dict(ROWS[1], customer='=HYPERLINK("http://x")')
    sheet = build(at_risk_report, [row], data_only=False)
    assert sheet["A4"].data_type == "s"
    assert sheet["A4"].value == '=HYPERLINK("http://x")'


def test_zero_rows(at_risk_report):
    sheet = build(at_risk_report, [])
    assert values(sheet, 3) == HEADERS
    assert values(sheet, 4)[:2] == ["Total", 0]
    assert sheet["I4"].value == 0
    assert sheet["J4"].value == 0
    assert sheet.max_row == 4
    assert sheet.freeze_panes == "B4"
    assert list(sheet.conditional_formatting) == []

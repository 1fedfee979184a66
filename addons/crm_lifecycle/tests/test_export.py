import base64
import io

import openpyxl
from lxml import etree

from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, LifecycleCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestSegmentExport(LifecycleCommon):
    def test_workbook_reads_back(self):
        customers = [
            self._customer(
                f"Export {i}", [10 + 60 * i, 5 + 60 * i], [100.0 * (6 - i)] * 2
            )
            for i in range(6)
        ]
        self._recompute()
        salesman = new_test_user(
            self.env,
            "lc_export",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
        )
        wizard = self.env["crm.lifecycle.segment.export"].with_user(salesman).create({})
        action = wizard.action_export()
        self.assertIn("download=true", action["url"])
        # Downloaded in place, and the dialog closes after (close="1").
        self.assertEqual(action["target"], "download")
        arch = etree.fromstring(
            wizard.get_views([(False, "form")])["views"]["form"]["arch"]
        )
        [button] = arch.xpath("//button[@name='action_export']")
        self.assertEqual(button.get("close"), "1")
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        self.assertEqual(book.sheetnames, ["Summary", "Customers"])
        summary, detail = book["Summary"], book["Customers"]
        self.assertEqual(summary["A3"].value, "Segment")
        segment_rows = [
            row
            for row in summary.iter_rows(min_row=4, values_only=True)
            if row[0] != "Total"
        ]
        self.assertEqual(sum(row[1] for row in segment_rows), len(customers))
        self.assertAlmostEqual(sum(row[2] for row in segment_rows), 1.0)
        total = next(
            row
            for row in summary.iter_rows(min_row=4, values_only=True)
            if row[0] == "Total"
        )
        self.assertEqual(total[1], len(customers))
        names = {row[0] for row in detail.iter_rows(min_row=2, values_only=True)}
        self.assertEqual(names, {c.name for c in customers})
        champion = self._profile(customers[0])
        row = next(
            r
            for r in detail.iter_rows(min_row=2, values_only=True)
            if r[0] == "Export 0"
        )
        self.assertEqual(row[4:7], (champion.rfm_r, champion.rfm_f, champion.rfm_m))

from odoo.tests import freeze_time, tagged

from ..models.crm_lifecycle_profile import (
    SEGMENT_SELECTION,
    STAGE_SELECTION,
    VALUE_CLASS_SELECTION,
)
from .common import TODAY, LifecycleCommon

STAGES = [key for key, _label in STAGE_SELECTION]


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestGroupOrder(LifecycleCommon):
    """Stages, segments and value classes come out in the lifecycle's order,
    not alphabetically by key, wherever the web client groups them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Four stages of eight, none of them first alphabetically by key
        # ("active" would be), and in an order that is neither.
        cls.customers = {
            "won_back": cls._customer("Returned", [700, 650, 30]),
            "churned": cls._customer("Gone", [600, 500, 400]),
            "new": cls._customer("First order", [20]),
            "loyal": cls._customer("Regular", [400, 330, 260, 190, 120, 50, 20]),
        }

    def setUp(self):
        super().setUp()
        self._recompute()
        self.domain = [("company_id", "=", self.company.id)]

    def test_kanban_columns_follow_the_lifecycle_and_fold_empty_stages(self):
        """The customers kanban groups profiles by stage with web_read_group,
        lazily, without an order: every stage comes out, in the order of
        STAGE_SELECTION, those without customers folded."""
        result = self.Profile.web_read_group(
            self.domain, ["stage"], ["stage"], lazy=True
        )
        groups = result["groups"]
        self.assertEqual([group["stage"] for group in groups], STAGES)
        counts = {group["stage"]: group["stage_count"] for group in groups}
        self.assertEqual(
            {stage for stage, count in counts.items() if count},
            set(self.customers),
        )
        for group in groups:
            self.assertEqual(group["__fold"], not group["stage_count"], group)
        # A column the user sorts keeps the user's order.
        result = self.Profile.web_read_group(
            self.domain, ["stage"], ["stage"], orderby="stage desc", lazy=True
        )
        self.assertEqual([group["stage"] for group in result["groups"]], STAGES[::-1])

    def test_customers_grouped_by_stage_follow_the_lifecycle(self):
        """The same on the customers themselves (Contacts grouped by
        lifecycle stage): the stage is a company-dependent field there."""
        partners = self.env["res.partner"].browse(
            [partner.id for partner in self.customers.values()]
        )
        result = self.env["res.partner"].web_read_group(
            [("id", "in", partners.ids)],
            ["lifecycle_stage"],
            ["lifecycle_stage"],
            lazy=True,
        )
        groups = result["groups"]
        self.assertEqual([group["lifecycle_stage"] for group in groups], STAGES)
        folded = {group["lifecycle_stage"] for group in groups if group["__fold"]}
        self.assertEqual(folded, set(STAGES) - set(self.customers))

    def test_reports_list_stages_segments_and_value_classes_in_order(self):
        """Pivots and graphs group eagerly (lazy=False): their rows, columns
        and series follow the selections' order too."""
        groups = self.Profile.web_read_group(
            self.domain, ["__count"], ["stage", "value_class"], lazy=False
        )["groups"]
        pairs = [(group["stage"], group["value_class"]) for group in groups]
        self.assertEqual(
            pairs,
            sorted(
                pairs,
                key=lambda pair: (
                    STAGES.index(pair[0]),
                    [key for key, _label in VALUE_CLASS_SELECTION].index(pair[1]),
                ),
            ),
        )
        self.assertEqual(
            [pair[0] for pair in pairs], ["new", "loyal", "churned", "won_back"]
        )
        History = self.env["crm.lifecycle.stage.history"]
        moves = History.web_read_group(
            [("partner_id", "in", [p.id for p in self.customers.values()])],
            ["__count"],
            ["stage"],
            lazy=False,
        )["groups"]
        stages = [group["stage"] for group in moves]
        self.assertEqual(stages, sorted(stages, key=STAGES.index))
        self.assertGreater(len(stages), 1)
        segments = self.Profile._read_group(self.domain, ["rfm_segment"], ["__count"])
        keys = [segment for segment, _count in segments if segment]
        order = [key for key, _label in SEGMENT_SELECTION]
        self.assertEqual(keys, sorted(keys, key=order.index))

    def test_stage_report_series_follow_the_lifecycle(self):
        """Stages over Time draws one series per stage, in this order."""
        groups = self.env["crm.lifecycle.stage.report"].web_read_group(
            [("company_id", "=", self.company.id)],
            ["customer_count"],
            ["stage"],
            lazy=False,
        )["groups"]
        stages = [group["stage"] for group in groups]
        self.assertEqual(stages, sorted(stages, key=STAGES.index))
        self.assertGreater(len(stages), 2)

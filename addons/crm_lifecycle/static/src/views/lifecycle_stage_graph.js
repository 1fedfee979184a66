import { getCustomColor, darkenColor, lightenColor } from "@web/core/colors/colors";
import { cookie } from "@web/core/browser/cookie";
import { registry } from "@web/core/registry";
import { graphView } from "@web/views/graph/graph_view";
import { GraphRenderer } from "@web/views/graph/graph_renderer";

/**
 * Colours that mean something: good stages green, at risk amber, lost ones
 * red. Odoo's graphs colour series by their position, which gave Loyal red
 * and At risk green.
 */
export const STAGE_COLORS = {
    prospect: "#9aa5b1", // grey: not a buyer yet
    new: "#5aa9e6", // blue: first order
    active: "#52b788", // green
    loyal: "#1b7a4a", // dark green
    at_risk: "#f2a900", // amber
    dormant: "#e8743b", // orange
    churned: "#d1453b", // red
    won_back: "#2a9d8f", // teal: good again
};
const STAGE_FIELDS = ["stage", "previous_stage", "computed_stage", "lifecycle_stage"];
const STAGES = Object.keys(STAGE_COLORS);

export class LifecycleStageGraphRenderer extends GraphRenderer {
    /**
     * The stage of each series when the series are stages (the second
     * grouping of "Stages over Time"), in lifecycle order; else null.
     */
    stageSeries(datasets) {
        const { groupBy } = this.model.metaData;
        const position = groupBy.findIndex(
            (gb, index) => index > 0 && STAGE_FIELDS.includes(gb.fieldName)
        );
        if (position < 0) {
            return null;
        }
        const spec = groupBy[position].spec;
        return datasets.map((dataset) => {
            const [identifier] = dataset.identifiers || [];
            const values = identifier ? JSON.parse(identifier) : [];
            return values[position]?.[spec] ?? null;
        });
    }

    colorStages(data, mode) {
        const stages = this.stageSeries(data.datasets);
        if (!stages) {
            return data;
        }
        const rank = (stage) => (STAGES.includes(stage) ? STAGES.indexOf(stage) : STAGES.length);
        const order = data.datasets.map((dataset, index) => ({ dataset, stage: stages[index] }));
        order.sort(
            (a, b) => a.dataset.originIndex - b.dataset.originIndex || rank(a.stage) - rank(b.stage)
        );
        data.datasets.splice(0, data.datasets.length, ...order.map((item) => item.dataset));
        const colorScheme = cookie.get("color_scheme");
        for (const { dataset, stage } of order) {
            const color = STAGE_COLORS[stage];
            if (!color) {
                continue;
            }
            if (mode === "bar") {
                dataset.backgroundColor = color;
            } else {
                dataset.borderColor = color;
                dataset.pointBackgroundColor = color;
                dataset.hoverBackgroundColor = color;
                dataset.backgroundColor = getCustomColor(
                    colorScheme,
                    lightenColor(color, 0.5),
                    darkenColor(color, 0.5)
                );
            }
        }
        return data;
    }

    getBarChartData() {
        return this.colorStages(super.getBarChartData(), "bar");
    }

    getLineChartData() {
        return this.colorStages(super.getLineChartData(), "line");
    }

    getScaleOptions() {
        const options = super.getScaleOptions();
        const { measure, measures } = this.model.metaData;
        if (options.y && measures[measure]?.type === "integer") {
            // Customers are counted: no tick between two whole numbers.
            options.y.ticks.precision = 0;
        }
        return options;
    }
}

registry.category("views").add("crm_lifecycle_stage_graph", {
    ...graphView,
    Renderer: LifecycleStageGraphRenderer,
});

import { registry } from "@web/core/registry";
import { pivotView } from "@web/views/pivot/pivot_view";
import { PivotRenderer } from "@web/views/pivot/pivot_renderer";

/**
 * A pivot that names its axes in its top left corner ("To stage" across,
 * "From stage" down): Odoo's pivot shows the values of the groups only, so
 * that a transitions table did not say which axis was which.
 */
export class LifecycleAxisPivotRenderer extends PivotRenderer {
    static template = "crm_lifecycle.AxisPivotRenderer";

    axisLabel(groupBys) {
        if (!groupBys.length) {
            return "";
        }
        const { fields, fieldAttrs } = this.model.metaData;
        const name = groupBys[0].split(":")[0];
        return fieldAttrs[name]?.string || fields[name]?.string || name;
    }

    get axisLabels() {
        const { fullColGroupBys, fullRowGroupBys } = this.model.metaData;
        return {
            cols: this.axisLabel(fullColGroupBys),
            rows: this.axisLabel(fullRowGroupBys),
        };
    }
}

registry.category("views").add("crm_lifecycle_axis_pivot", {
    ...pivotView,
    Renderer: LifecycleAxisPivotRenderer,
});

from odoo import api, models
from odoo.models import regex_order
from odoo.tools import SQL

from .crm_lifecycle_profile import STAGE_SELECTION

# The order keywords regex_order accepts, as SQL.
DIRECTIONS = {"asc": SQL("ASC"), "desc": SQL("DESC")}
NULLS = {"": SQL(), "nulls first": SQL("NULLS FIRST"), "nulls last": SQL("NULLS LAST")}


class CrmLifecycleGroupOrderMixin(models.AbstractModel):
    """Stages, segments and value classes grouped in the order of their
    selection, the lifecycle's, instead of alphabetically by key.

    Odoo orders the groups of a selection by its raw keys: kanban columns,
    grouped lists, pivot rows and graph series came out as Active, At risk,
    Churned, Dormant..., and in no recognisable order once translated. The
    fields named in ``_lifecycle_ordered_groups`` are ordered by their
    position in the selection instead, wherever a read_group is not given
    an explicit order (a column the user sorts on keeps its own).

    A stage field declaring ``group_expand="_group_expand_lifecycle_stage"``
    also shows every stage in a kanban or a grouped list, the stages without
    customers folded, as Odoo's stage kanbans fold a stage marked so.
    Selection groups have no fold flag: the web client folds the groups
    whose ``__fold`` is set.
    """

    _name = "crm.lifecycle.group.order.mixin"
    _description = "Lifecycle Groups in Lifecycle Order"

    # Selection fields grouped in the order of their selection.
    _lifecycle_ordered_groups = ()

    @api.model
    def _group_expand_lifecycle_stage(self, values, domain):
        return [key for key, _label in STAGE_SELECTION]

    def _read_group_orderby(self, order, groupby_terms, query):
        ordered = set(groupby_terms) & set(self._lifecycle_ordered_groups)
        if not ordered:
            return super()._read_group_orderby(order, groupby_terms, query)
        if not order:
            # Server code grouping without an order: the raw values, as Odoo
            # does, except for the ordered selections.
            return SQL(", ").join(
                self._lifecycle_group_position(spec, sql_expr)
                if spec in ordered
                else sql_expr
                for spec, sql_expr in groupby_terms.items()
            )
        # read_group() orders by its groupby specs when the client gives no
        # order: those of the ordered selections become their positions.
        terms = []
        for part in order.split(","):
            match = regex_order.match(part)
            if match and match["term"] in ordered:
                terms.append(
                    SQL(
                        "%s %s %s",
                        self._lifecycle_group_position(
                            match["term"], groupby_terms[match["term"]]
                        ),
                        DIRECTIONS[(match["direction"] or "asc").lower()],
                        NULLS[(match["nulls"] or "").lower()],
                    )
                )
            else:
                terms.append(super()._read_group_orderby(part, groupby_terms, query))
        return SQL(", ").join(term for term in terms if term)

    def _lifecycle_group_position(self, fname, sql_expr):
        keys = self._fields[fname].get_values(self.env)
        return SQL("array_position(%s::varchar[], %s::varchar)", keys, sql_expr)

    @api.model
    def _read_group_fill_results(
        self,
        domain,
        groupby,
        annoted_aggregates,
        read_group_result,
        read_group_order=None,
    ):
        result = super()._read_group_fill_results(
            domain, groupby, annoted_aggregates, read_group_result, read_group_order
        )
        field = self._fields.get(groupby.split(".")[0].split(":")[0])
        if field is None or field.group_expand != "_group_expand_lifecycle_stage":
            return result
        count_key = next(
            (name for name, spec in annoted_aggregates.items() if spec == "__count"),
            None,
        )
        if count_key:
            for line in result:
                line["__fold"] = not line.get(count_key)
        return result

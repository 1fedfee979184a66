"""Search, filter and group-by on every field an addon adds to res.partner.

Shared by the suite's addons (each runs it on its own fields): the web
client offers a custom filter on every field ``fields_get`` calls
searchable, and a group-by on every field it calls groupable. Such a field
must give, through the ORM's SQL, the customers one gets by reading the
field in Python; a field that cannot do that must not claim it (Odoo then
logs "cannot be searched" and ignores the condition, so that "Orders > 5"
silently returns every customer).
"""

import statistics
from collections import Counter

NUMERIC = ("integer", "float", "monetary")


def _sample_condition(field, values):
    """An operator and a value that split ``values`` (the field read on
    every customer) into two non-empty parts where possible."""
    present = [value for value in values if value not in (False, None, "")]
    if field["type"] in NUMERIC:
        if not present:
            return ">", 0
        return ">", statistics.median(present)
    if field["type"] in ("date", "datetime"):
        if not present:
            return "!=", False
        return ">", sorted(present)[len(present) // 2]
    if field["type"] == "boolean":
        return "=", True
    if field["type"] == "selection":
        if not present:
            return "!=", False
        return "=", Counter(present).most_common(1)[0][0]
    if field["type"] in ("char", "text"):
        if not present:
            return "!=", False
        return "ilike", str(present[0])[:3]
    return "!=", False


def _python_match(field, operator, target, value):
    if operator == "!=":
        return bool(value) if field["type"] not in NUMERIC else value != target
    if operator == "=":
        return value == target
    if operator == ">":
        return value is not False and value is not None and value > target
    if operator == "ilike":
        return bool(value) and target.lower() in str(value).lower()
    raise AssertionError(operator)


class PartnerFieldsMixin:
    """Mix into a TransactionCase (with demo data and a nightly run done)
    and call ``_check_partner_fields(module)``."""

    def _added_fields(self, module):
        Partner = self.env["res.partner"]
        return {
            name: description
            for name, description in Partner.fields_get().items()
            if Partner._fields[name]._module == module
        }

    def _read_value(self, partner, name, description):
        value = partner[name]
        if description["type"] in ("many2one", "one2many", "many2many"):
            return bool(value)
        return value

    def _check_partner_fields(self, module, expect_searchable=()):
        Partner = self.env["res.partner"]
        partners = Partner.search([])
        fields = self._added_fields(module)
        self.assertTrue(fields, f"{module} adds no field to res.partner?")
        for name in expect_searchable:
            self.assertTrue(fields[name]["searchable"], f"{name} should be searchable")
        for name, description in fields.items():
            if not description["searchable"]:
                continue
            values = [self._read_value(p, name, description) for p in partners]
            operator, target = _sample_condition(description, values)
            if description["type"] in ("many2one", "one2many", "many2many"):
                operator, target = "!=", False
            with self.subTest(field=name, operator=operator, value=target):
                expected = {
                    partner.id
                    for partner, value in zip(partners, values, strict=True)
                    if _python_match(description, operator, target, value)
                }
                domain = [(name, operator, target)]
                with (
                    self.env.cr.savepoint(),
                    self.assertNoLogs("odoo.osv.expression", "ERROR"),
                ):
                    found = set(Partner.search(domain).ids)
                    # The list view's read, as a custom filter sends it.
                    listed = Partner.web_search_read(domain, {name: {}}, limit=None)
                self.assertEqual(found, expected)
                self.assertEqual({row["id"] for row in listed["records"]}, expected)
            if description.get("groupable") and description["type"] not in (
                "one2many",
                "many2many",
            ):
                groupby = name
                if description["type"] in ("date", "datetime"):
                    groupby = f"{name}:month"
                with self.subTest(field=name, groupby=groupby), self.env.cr.savepoint():
                    groups = Partner.web_read_group([], [], [groupby])["groups"]
                    count = f"{name}_count"
                    self.assertEqual(
                        sum(group[count] for group in groups), len(partners)
                    )

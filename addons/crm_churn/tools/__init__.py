"""Pure calculations of the churn warning: no Odoo import, tested without a database."""

from . import scoring, xlsx_report

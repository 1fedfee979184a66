"""Pure calculations of the churn warning: no Odoo import, tested without a database."""

from . import backtest, scoring, xlsx_report

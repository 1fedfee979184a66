from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _lifecycle_open_mailing(self, mailing_type):
        """A draft mailing of Odoo's Email (or SMS) Marketing to these
        customers, for the manager to write and send: the mailing handles
        the blacklists, unsubscribe links and statistics; customers who
        asked for no marketing are left out of its recipients."""
        Mailing = self.env["mailing.mailing"]
        # Email Marketing users only (Odoo's access rights say so).
        Mailing.check_access("create")
        types = dict(Mailing._fields["mailing_type"].selection)
        if mailing_type not in types:
            return super()._lifecycle_open_mailing(mailing_type)
        customers = self.commercial_partner_id
        domain = [("id", "in", customers.ids), ("lifecycle_no_marketing", "=", False)]
        vals = {
            "subject": self.env._(
                "Campaign to %(count)s customers", count=len(customers)
            ),
            "mailing_type": mailing_type,
            "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            "mailing_domain": repr(domain),
        }
        if mailing_type == "sms":
            vals["body_plaintext"] = ""
        mailing = Mailing.create(vals)
        return {
            "type": "ir.actions.act_window",
            "res_model": "mailing.mailing",
            "res_id": mailing.id,
            "view_mode": "form",
            "target": "current",
        }

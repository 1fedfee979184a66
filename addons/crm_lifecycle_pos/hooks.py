from .models.crm_lifecycle_profile import WITHOUT_POS


def uninstall_hook(env):
    """Rebuild the purchase view without the till's orders: it reads this
    addon's company setting, whose column is dropped with the addon (and
    would take the view, and the reports built on it, with it)."""
    env["crm.lifecycle.profile"].with_context(
        **{WITHOUT_POS: True}
    )._create_purchase_view()

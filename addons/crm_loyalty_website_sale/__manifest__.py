{
    "name": "Loyalty Points Ledger: eCommerce",
    "summary": "Web-shop orders earn and spend ledger points, and the cart "
    "shows the points an order earns and why",
    "version": "18.0.1.0.0",
    "category": "Website/Website",
    "website": "https://github.com/crm-lifecycle-suite/crm-lifecycle-suite",
    "author": "CRM Lifecycle Suite",
    "license": "LGPL-3",
    "depends": ["crm_loyalty", "website_sale_loyalty"],
    "data": ["views/website_sale_templates.xml"],
    "assets": {
        "web.assets_tests": [
            "crm_loyalty_website_sale/static/tests/tours/*.js",
        ],
    },
    "auto_install": True,
    "installable": True,
    "application": False,
}

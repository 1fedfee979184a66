"""Take the README's screenshots from a running Odoo with the demo data.

    python3 docs/take_screenshots.py --url http://localhost:8069 --db crm_suite_demo

Logs in as admin through JSON-RPC, then drives headless Chromium over the
DevTools protocol (websocket-client, already needed by Odoo's tours).
"""

import argparse
import base64
import json
import subprocess
import tempfile
import time
import urllib.request

import websocket


def login(url, db, login_, password):
    request = urllib.request.Request(
        f"{url}/web/session/authenticate",
        data=json.dumps(
            {"params": {"db": db, "login": login_, "password": password}}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        cookie = response.headers["Set-Cookie"]
        payload = json.loads(response.read())
    return cookie.split(";")[0].split("=", 1)[1], payload["result"]


class Browser:
    def __init__(self, width, height):
        self.profile = tempfile.mkdtemp()
        self.proc = subprocess.Popen(
            [
                "chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-port=9333",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            try:
                with urllib.request.urlopen("http://127.0.0.1:9333/json") as r:
                    pages = [p for p in json.loads(r.read()) if p["type"] == "page"]
                break
            except OSError:
                time.sleep(0.2)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"])
        self.counter = 0

    def send(self, method, **params):
        self.counter += 1
        self.ws.send(
            json.dumps({"id": self.counter, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.counter:
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        return result.get("result", {}).get("value")

    def wait_for(self, selector, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate(f"!!document.querySelector({json.dumps(selector)})"):
                return
            time.sleep(0.3)
        raise TimeoutError(selector)

    def click(self, selector):
        self.wait_for(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def shot(self, path, scroll_to=None):
        time.sleep(1.5)
        # Notifications (e.g. "page out of date" after an asset rebuild) hide
        # the screen; close them.
        self.evaluate(
            "document.querySelectorAll('.o_notification_close').forEach(b => b.click())"
        )
        if scroll_to:
            self.evaluate(
                f"document.querySelector({json.dumps(scroll_to)}).scrollIntoView()"
            )
        time.sleep(0.5)
        data = self.send("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))
        print("wrote", path)

    def close(self):
        self.ws.close()
        self.proc.terminate()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="crm_suite_demo")
    parser.add_argument("--out", default="docs/images")
    args = parser.parse_args()
    session, _info = login(args.url, args.db, "admin", "admin")
    browser = Browser(1400, 1000)
    host = args.url.split("//")[1].split(":")[0]
    browser.send(
        "Network.setCookie", name="session_id", value=session, domain=host, path="/"
    )
    browser.send(
        "Page.navigate",
        url=f"{args.url}/odoo/action-crm_lifecycle.crm_lifecycle_profile_action",
    )
    browser.wait_for(".o_kanban_record")
    browser.shot(f"{args.out}/lifecycle_customers.png")
    browser.send(
        "Page.navigate",
        url=f"{args.url}/odoo/action-crm_lifecycle.crm_lifecycle_stage_report_action",
    )
    browser.wait_for(".o_graph_renderer canvas")
    browser.shot(f"{args.out}/stages_over_time.png")
    partner = browser.send(
        "Runtime.evaluate",
        expression=(
            "fetch('/web/dataset/call_kw', {method: 'POST', headers: "
            "{'Content-Type': 'application/json'}, body: JSON.stringify({params: "
            "{model: 'crm.lifecycle.profile', method: 'search_read', args: "
            "[[['stage', '=', 'loyal']], ['partner_id']], kwargs: {limit: 1, "
            "order: 'order_count desc'}}})}).then(r => r.json())"
            ".then(r => r.result[0].partner_id[0])"
        ),
        awaitPromise=True,
        returnByValue=True,
    )["result"]["value"]
    # A loyal customer with a long history makes the best example.
    browser.send("Page.navigate", url=f"{args.url}/odoo/res.partner/{partner}")
    browser.click(".o_notebook a.nav-link[name='lifecycle']")
    browser.wait_for(".o_field_widget[name='lifecycle_stage_history_ids'] .o_data_row")
    browser.shot(f"{args.out}/lifecycle_tab.png", scroll_to=".o_notebook")
    member = browser.send(
        "Runtime.evaluate",
        expression=(
            "fetch('/web/dataset/call_kw', {method: 'POST', headers: "
            "{'Content-Type': 'application/json'}, body: JSON.stringify({params: "
            "{model: 'res.partner', method: 'search_read', args: "
            "[[['loyalty_tier_id.stars', '=', '3']], ['id']], kwargs: {limit: 1}}})})"
            ".then(r => r.json()).then(r => r.result.length ? r.result[0].id : 0)"
        ),
        awaitPromise=True,
        returnByValue=True,
    )["result"]["value"]
    if member:
        browser.send("Page.navigate", url=f"{args.url}/odoo/res.partner/{member}")
        browser.click(".o_notebook a.nav-link[name='crm_loyalty']")
        browser.wait_for(".o_field_widget[name='loyalty_ledger_card_ids'] .o_data_row")
        browser.shot(f"{args.out}/loyalty_tab.png", scroll_to=".o_notebook")
    browser.send(
        "Page.navigate",
        url=f"{args.url}/odoo/action-crm_churn.crm_churn_alert_action",
    )
    browser.wait_for(".o_kanban_record")
    browser.shot(f"{args.out}/churn_alerts.png")
    browser.click(".o_kanban_group:first-child .o_kanban_record")
    browser.wait_for(".o_form_view .o_field_widget[name='reasons']")
    browser.shot(f"{args.out}/churn_alert.png")
    browser.close()


if __name__ == "__main__":
    main()

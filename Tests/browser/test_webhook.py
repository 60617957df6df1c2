"""The tenant admin's webhook page: set a URL and a generated signing secret, choose the run end states, and see a
run's webhook arrive signed (checked here with the secret the page generated) and shown as delivered on the run page;
an address moved to another origin without retyping the secret is refused with a message; the webhook is removed."""
import hashlib
import hmac
import http.server
import json
import threading
import time

from playwright.sync_api import expect

from conftest import TENANT, call, new_context, shot, sign_in


class Receiver(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.received.append((dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_tenant_webhook_is_set_up_delivered_signed_and_removed(browser, seeded):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{server.server_address[1]}/onramp"
    context = new_context(browser)
    page = context.new_page()
    try:
        sign_in(page)
        page.goto(f"/#/t/{TENANT}/webhook")
        expect(page.get_by_text("No webhook yet")).to_be_visible()
        page.get_by_label("URL").fill(hook_url)
        page.get_by_role("button", name="Generate").click()
        secret = page.get_by_label("Signing secret").input_value()
        assert len(secret) == 48
        page.get_by_label("Succeeded", exact=True).check()
        shot(page, "webhook")
        page.get_by_role("button", name="Save webhook").click()
        expect(page.get_by_text("Webhook saved.")).to_be_visible()
        stored = call("GET", f"/tenants/{TENANT}/webhook")
        assert stored["url"] == hook_url and stored["secret"] == "${secret:WEBHOOK_SIGNING}"
        assert set(stored["events"]) == {"failed", "succeeded_with_errors", "succeeded"}
        secrets = call("GET", f"/tenants/{TENANT}/secrets")["secrets"]
        assert any(s["name"] == "WEBHOOK_SIGNING" and s["origins"] == [hook_url.rsplit("/", 1)[0]] for s in secrets)

        # A run ends: its summary arrives signed with the generated secret, and its page says it was delivered.
        run = call("POST", f"/tenants/{TENANT}/pipelines/{seeded['pipeline']['id']}/runs", {"full_resync": True})
        deadline = time.time() + 60
        while time.time() < deadline and not any(json.loads(b)["run_id"] == run["id"] for _, b in Receiver.received):
            time.sleep(0.2)
        headers, body = next((h, b) for h, b in Receiver.received if json.loads(b)["run_id"] == run["id"])
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Onramp-Signature"] == expected and headers["X-Onramp-Delivery"] == run["id"] + ":tenant"
        payload = json.loads(body)
        assert payload["tenant_id"] == TENANT and payload["state"] in ("succeeded", "succeeded_with_errors")
        assert not any(k.endswith("_path") for k in payload)
        page.goto(f"/#/t/{TENANT}/runs/{run['id']}")
        section = page.locator("section", has=page.get_by_role("heading", name="Webhooks"))
        expect(section).to_contain_text("Delivered after 1 attempt")
        expect(section).to_contain_text("tenant")

        # Moved to another origin without a new secret: refused before anything is stored.
        page.goto(f"/#/t/{TENANT}/webhook")
        expect(page.get_by_label("URL")).to_have_value(hook_url)
        page.get_by_label("URL").fill("https://hooks.elsewhere.test/onramp")
        page.get_by_role("button", name="Save webhook").click()
        expect(page.get_by_role("alert").filter(has_text="type the signing secret again")).to_be_visible()
        assert call("GET", f"/tenants/{TENANT}/webhook")["url"] == hook_url

        page.get_by_role("button", name="Remove webhook").click()
        page.get_by_role("dialog").get_by_role("button", name="Remove").click()
        expect(page.get_by_text("No webhook yet")).to_be_visible()
    finally:
        context.close()
        server.shutdown()

"""Fixtures of the browser tests: the running server (scripts/browser-test.sh starts it), a seeded tenant, chromium."""
import json
import os
import pathlib
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import sync_playwright

URL = os.environ["ONRAMP_URL"]
ADMIN_KEY = os.environ["ONRAMP_ADMIN_KEY"]
SANDBOX = os.environ["ONRAMP_SANDBOX"]
SANDBOX_KEY = os.environ["ONRAMP_SANDBOX_KEY"]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = pathlib.Path(__file__).parent / "artifacts"
TENANT = "acme"
EMAIL = "ann@acme.test"
PASSWORD = "correct horse battery staple"

# Four orders: A2's region is one TAXMAN refuses (a load error), A3's amount is not a number (a transform error).
ORDERS = "id,region,amount\nA1,CA,10.00\nA2,ZZ,5.00\nA3,NY,abc\nA4,TX,7.50\n"


def call(method, path, body=None, *, key=ADMIN_KEY, raw=None, content_type=None):
    """The REST API with the admin key: the parsed JSON answer (or text), raising on an error status."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(URL + "/api/v1" + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + key)
    if data is not None:
        request.add_header("Content-Type", content_type or "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        raise AssertionError(f"{method} {path}: {e.code} {e.read().decode()}") from None
    return json.loads(text) if kind.startswith("application/json") and text else text


def pipeline_document():
    return {
        "version": 1, "name": "orders",
        "source": {"connector": "csv", "config": {"path": "orders.csv"}},
        "steps": [{"map": '{"transactionId": id, "type": "SalesInvoice", "date": "2026-11-03", "currency": "USD",'
                          ' "shipTo": {"country": "US", "region": region},'
                          ' "lines": [{"number": "1", "quantity": 1, "amount": $number(amount)}]}'}],
        "destination": {"connector": "taxman", "config": {"base_url": SANDBOX, "api_key": "${secret:TAXMAN_KEY}"}},
    }


@pytest.fixture(scope="session")
def seeded():
    """A tenant with a person who signs in, a secret, the orders export, the pipeline and a schedule."""
    call("POST", "/tenants", {"id": TENANT, "name": "ACME Corp"})
    call("POST", f"/tenants/{TENANT}/users", {"email": EMAIL, "role": "tenant_admin", "password": PASSWORD})
    call("PUT", f"/tenants/{TENANT}/secrets/TAXMAN_KEY", {"value": SANDBOX_KEY, "origins": [SANDBOX]})
    call("PUT", f"/tenants/{TENANT}/files/orders.csv", raw=ORDERS.encode(), content_type="text/csv")
    pipeline = call("POST", f"/tenants/{TENANT}/pipelines", pipeline_document())
    schedule = call("POST", f"/tenants/{TENANT}/pipelines/{pipeline['id']}/schedules",
                    {"cron": "0 6 * * *", "timezone": "UTC", "enabled": True})
    return {"pipeline": pipeline, "schedule": schedule}


@pytest.fixture(scope="session")
def browser():
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def new_context(browser, **options):
    context = browser.new_context(base_url=URL, locale="en-GB", timezone_id="UTC", accept_downloads=True,
                                  viewport=options.pop("viewport", {"width": 1280, "height": 800}), **options)
    context.set_default_timeout(15000)
    return context


def sign_in(page, email=EMAIL, password=PASSWORD):
    page.goto("/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

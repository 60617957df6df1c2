"""Every portal page: a screenshot each (desktop, and the phone width for some), what each weighs (KB of HTML, CSS
and JS loaded with a cold cache), the dashboard's time to first render, files, API keys, the audit log, a password
change, and tenant data shown as text (never markup)."""
import re
import urllib.parse

from playwright.sync_api import expect

from conftest import ADMIN_KEY, EMAIL, PASSWORD, TENANT, URL, call, new_context, shot, sign_in

PAGES = [
    ("dashboard", "Dashboard"), ("pipelines", "Pipelines"), ("runs", "Runs"), ("errors", "Error queue"),
    ("files", "Files"), ("api-keys", "API keys"), ("users", "People"), ("audit", "Audit log"), ("webhook", "Webhook"),
]
NEW_PASSWORD = "a brand new long passphrase"


def kind(content_type):
    for k in ("html", "css", "javascript"):
        if k in content_type:
            return "js" if k == "javascript" else k
    return "api" if "json" in content_type else "other"


def weigh(browser, state, route):
    """Loads `route` in a fresh context (cold cache): bytes by kind, and ms until the page rendered."""
    context = new_context(browser, storage_state=state)
    page = context.new_page()
    responses = []
    page.on("response", lambda r: responses.append(r))
    page.goto("/#" + route)
    page.wait_for_function("() => performance.getEntriesByName('onramp:rendered').length > 0")
    page.wait_for_load_state("networkidle")
    timing = page.evaluate("""() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const paint = performance.getEntriesByName('first-contentful-paint')[0];
        const rendered = performance.getEntriesByName('onramp:rendered').pop();
        return {dcl: nav.domContentLoadedEventEnd, fcp: paint ? paint.startTime : null, rendered: rendered.startTime};
    }""")
    sizes = {}
    for r in responses:
        try:
            body = r.body()
        except Exception:  # a redirect or an aborted request has no body
            continue
        k = kind(r.headers.get("content-type", ""))
        sizes[k] = sizes.get(k, 0) + len(body)
    context.close()
    return sizes, timing


def test_every_page(browser, seeded):
    context = new_context(browser)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text
            else None)
    sign_in(page)
    for route, heading in PAGES:
        page.goto(f"/#/t/{TENANT}/{route}")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        page.wait_for_load_state("networkidle")
        shot(page, f"page-{route}")
    page.goto("/#/account")
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    shot(page, "page-account")
    # The designer's routes are there from the start: its page, or "not available yet".
    page.goto(f"/#/t/{TENANT}/pipelines/{seeded['pipeline']['id']}/versions")
    expect(page.locator("h1")).to_be_visible()
    shot(page, "page-versions")
    assert errors == [], errors

    state = context.storage_state()
    print("\npage weights (cold cache, KB): page  html  css  js  api-json")
    for route, _ in PAGES:
        sizes, timing = weigh(browser, state, f"/t/{TENANT}/{route}")
        kb = {k: sizes.get(k, 0) / 1024 for k in ("html", "css", "js", "api")}
        print(f"  {route:10} {kb['html']:5.1f} {kb['css']:5.1f} {kb['js']:5.1f} {kb['api']:6.1f}")
        if route == "dashboard":
            dashboard = timing
    print(f"dashboard: first contentful paint {dashboard['fcp']:.0f} ms, DOMContentLoaded {dashboard['dcl']:.0f} ms, "
          f"rendered with its data {dashboard['rendered']:.0f} ms after navigation start")

    # The phone width: the nav becomes a top bar and nothing scrolls sideways.
    phone = new_context(browser, storage_state=state, viewport={"width": 390, "height": 844})
    mobile = phone.new_page()
    for route, heading in [("dashboard", "Dashboard"), ("pipelines", "Pipelines"), ("runs", "Runs"), ("errors", "Error queue"),
                           ("files", "Files"), ("webhook", "Webhook")]:
        mobile.goto(f"/#/t/{TENANT}/{route}")
        expect(mobile.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        mobile.wait_for_load_state("networkidle")
        width = mobile.evaluate("document.documentElement.scrollWidth")
        wide = mobile.evaluate("""() => [...document.querySelectorAll('main *')].filter(e => {
            for (let p = e.parentElement; p; p = p.parentElement) if (getComputedStyle(p).overflowX !== 'visible') return false;
            return e.getBoundingClientRect().right > 391;
        }).map(e => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)""")
        print(f"phone {route}: document {width} px wide at a 390 px viewport" + (f"; wider: {wide}" if width > 390 else ""))
        # It was 507 px on every other page: a missing `public` flag made classList.toggle flip the signed-out layout.
        assert width <= 390 and wide == [], (route, width, wide)
        shot(mobile, f"phone-{route}")
    phone.close()
    context.close()


def test_files_keys_audit_and_hostile_names(browser, seeded):
    hostile = '<img src=x onerror="window.__xss=1">.csv'
    call("PUT", f"/tenants/{TENANT}/files/{urllib.parse.quote(hostile)}", raw=b"a\n1\n",
         content_type="text/csv")
    context = new_context(browser)
    page = context.new_page()
    sign_in(page)
    page.get_by_role("link", name="Files", exact=True).click()
    expect(page.get_by_role("link", name=hostile)).to_be_visible()
    assert page.evaluate("window.__xss") is None
    assert page.locator("main img").count() == 0
    page.get_by_label("File").set_input_files(files=[{"name": "more.csv", "mimeType": "text/csv",
                                                      "buffer": b"id,region,amount\nB1,CA,1.00\n"}])
    expect(page.get_by_label("Save as")).to_have_value("more.csv")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("link", name="more.csv")).to_be_visible()
    assert call("GET", f"/tenants/{TENANT}/files/more.csv") == "id,region,amount\nB1,CA,1.00\n"
    with page.expect_download() as info:
        page.get_by_role("link", name="more.csv").click()
    assert open(info.value.path(), "rb").read() == b"id,region,amount\nB1,CA,1.00\n"
    page.locator("tr", has_text="more.csv").get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("link", name="more.csv")).to_have_count(0)
    shot(page, "10-files")

    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("nightly export")
    page.get_by_role("button", name="Create key").click()
    secret = page.locator(".secret-once").inner_text().strip()
    assert len(secret) >= 32
    assert "orders" in [p["name"] for p in call("GET", f"/tenants/{TENANT}/pipelines", key=secret)["pipelines"]]
    shot(page, "11-api-keys")
    page.locator("tr", has_text="nightly export").get_by_role("button", name="Revoke").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    expect(page.locator("tr", has_text="nightly export")).to_contain_text("revoked")
    try:
        call("GET", f"/tenants/{TENANT}/pipelines", key=secret)
        raise AssertionError("a revoked key still works")
    except AssertionError as e:
        assert "401" in str(e)

    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("tbody tr").first).to_be_visible()
    # Other tests write to the same tenant's log, so the key's entries are counted over the API, not on page one.
    entries = call("GET", f"/tenants/{TENANT}/audit?limit=500")["entries"]
    assert sum(1 for e in entries if e["resource_type"] == "api_key") >= 2
    shot(page, "12-audit")
    context.close()


def test_password_change_and_sign_out(browser, seeded):
    context = new_context(browser)
    page = context.new_page()
    sign_in(page)
    page.get_by_role("link", name=EMAIL).click()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".toast")).to_contain_text("Password changed")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Onramp")).to_be_visible()
    sign_in(page, password=NEW_PASSWORD)
    # Put it back for the other tests' sign-ins.
    page.goto("/#/account")
    page.get_by_label("Current password").fill(NEW_PASSWORD)
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password again").fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".toast")).to_contain_text("Password changed")
    context.close()


def test_a_run_page_without_its_event_stream_follows_the_run_by_reading_it(browser, seeded):
    """The stream blocked (a proxy that drops it, say): the page reads the run instead, backing off, until it ends.
    The run is queued when the page opens (a worker takes a second or more to start it), so only reading it again
    shows its end."""
    context = new_context(browser)
    page = context.new_page()
    page.route("**/events", lambda route: route.abort())
    sign_in(page)
    run = call("POST", f"/tenants/{TENANT}/pipelines/{seeded['pipeline']['id']}/runs", {"full_resync": True})
    reads = []
    page.on("request", lambda r: reads.append(r.url) if r.url.endswith("/runs/" + run["id"]) else None)
    page.goto(f"/#/t/{TENANT}/runs/{run['id']}")
    expect(page.locator(".page-head .badge")).to_have_text(re.compile("succeeded|failed"), timeout=60000)
    print(f"\nrun page without its event stream: {len(reads)} reads of the run until it ended")
    context.close()


def test_a_page_whose_assets_were_replaced_by_an_upgrade_reloads_once(browser, seeded):
    """A module the page imports lazily is gone (the server was upgraded: its assets have a new hash): the page loads
    again, once for that hash; when the hash is the same, it says the page is not available instead."""
    context = new_context(browser)
    page = context.new_page()
    sign_in(page)
    mine = page.evaluate("[...document.scripts].map(s => s.src).find(s => s.includes('/ui/')).split('/')[4]")
    page.route("**/js/pages/files.js", lambda route: route.fulfill(status=404, body="gone"))
    index = {"hash": mine}
    def serve_index(route):
        body = route.fetch().text().replace(f"/ui/{mine}/", f"/ui/{index['hash']}/")
        route.fulfill(status=200, body=body, headers={"content-type": "text/html"})
    page.route(lambda url: url.endswith(":" + url.split(":")[-1].split("/")[0] + "/"), serve_index)
    page.evaluate(f"location.hash = '#/t/{TENANT}/files'")
    expect(page.get_by_text("This page is not available yet.")).to_be_visible()
    index["hash"] = "0123456789ab"
    with page.expect_event("load"):
        page.evaluate(f"location.hash = '#/t/{TENANT}/pipelines'; setTimeout(() => location.hash = '#/t/{TENANT}/files', 50)")
    assert page.evaluate("sessionStorage.getItem('onramp.reloaded-for')") == "0123456789ab"
    context.close()


def test_an_edited_record_keeps_every_digit_of_its_numbers(browser, seeded):
    """A failed record from a JSON export with an id past 2^53 and a long decimal: the reader keeps their digits (as
    text, as for plugins' numbers), the editor shows and sends back exactly what the server holds, and the stored
    value keeps them after an edit."""
    call("PUT", f"/tenants/{TENANT}/files/big.ndjson", content_type="application/x-ndjson",
         raw=b'{"id": 12345678901234567891, "amount": 0.10000000000000000555, "region": "ZZ"}\n')
    document = {"version": 1, "name": "big-numbers", "source": {"connector": "ndjson", "config": {"path": "big.ndjson"}},
                "steps": [{"validate": {"rules": [{"field": "region", "enum": ["CA", "NY"], "name": "known_region"}]}}],
                "destination": {"connector": "file", "config": {"path": "big-out.ndjson"}}}
    pipeline = call("POST", f"/tenants/{TENANT}/pipelines", document)
    run = call("POST", f"/tenants/{TENANT}/pipelines/{pipeline['id']}/runs", {})
    import time
    for _ in range(300):
        if call("GET", f"/tenants/{TENANT}/runs/{run['id']}")["state"] not in ("queued", "running"):
            break
        time.sleep(0.1)
    entry = call("GET", f"/tenants/{TENANT}/errors?run_id={run['id']}")["errors"][0]
    context = new_context(browser)
    page = context.new_page()
    sign_in(page)
    page.goto(f"/#/t/{TENANT}/errors/{entry['id']}")
    editor = page.get_by_label("The record (JSON)")
    expect(editor).to_have_value(re.compile(r'"id": "?12345678901234567891'))
    expect(editor).to_have_value(re.compile(r'"amount": "?0\.10000000000000000555'))
    editor.fill(editor.input_value().replace('"ZZ"', '"CA"'))
    page.get_by_role("button", name="Save value").click()
    expect(page.get_by_text("Value saved.")).to_be_visible()
    import urllib.request
    request = urllib.request.Request(f"{URL}/api/v1/tenants/{TENANT}/errors/{entry['id']}")
    request.add_header("Authorization", "Bearer " + ADMIN_KEY)
    text = urllib.request.urlopen(request).read().decode()
    assert "12345678901234567891" in text and "0.10000000000000000555" in text and '"CA"' in text, text
    context.close()


def test_run_history_filters_by_the_viewers_days_through_the_api(browser, seeded):
    """From/To are local days sent to the API as created_from/created_before: today's run is listed, and a range
    that ends before today lists nothing."""
    context = new_context(browser)
    page = context.new_page()
    sign_in(page)
    run = call("POST", f"/tenants/{TENANT}/pipelines/{seeded['pipeline']['id']}/runs", {"full_resync": True})
    today = page.evaluate("() => { const d = new Date(); return [d.getFullYear(), d.getMonth() + 1, d.getDate()]"
                          ".map((n, i) => String(n).padStart(i ? 2 : 4, '0')).join('-'); }")
    queries = []
    page.on("request", lambda r: queries.append(r.url) if "/runs?" in r.url else None)
    page.goto(f"/#/t/{TENANT}/runs?from={today}&to={today}")
    expect(page.locator(f'a[href$="/runs/{run["id"]}"]')).to_be_visible()
    sent = urllib.parse.parse_qs(urllib.parse.urlsplit(queries[-1]).query)
    assert "created_from" in sent and "created_before" in sent, queries
    page.goto(f"/#/t/{TENANT}/runs?from=2001-01-01&to=2001-01-02")
    expect(page.get_by_text("No runs match.")).to_be_visible()
    context.close()

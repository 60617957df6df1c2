"""The engineers' designer, by clicking: onboarding a new customer through the wizard, building a pipeline on the
canvas by dragging nodes with the preview at each node, connections (test, browse) and versions (diff)."""
import json
import os
import re

from playwright.sync_api import expect

from conftest import SANDBOX, SANDBOX_KEY, TENANT, call, new_context, shot

ADMIN_EMAIL = os.environ["ONRAMP_ADMIN_EMAIL"]
ADMIN_PASSWORD = os.environ["ONRAMP_ADMIN_PASSWORD"]

# The header/lines export of the erp-header-lines-csv template: two orders of three lines.
HEADER = ("order_no;order_date;currency;customer_id;exemption_code;ship_city;ship_region;ship_postal_code;"
          "ship_country;line_no;item_code;description;quantity;unit_price;discount;tax_code")
EXPORT = (f"record_type;{HEADER}\n"
          "H;1001;03.11.2026;usd;C1;;  New  York ;New York;10001;U.S.A.;;;;;;;\n"
          "L;1001;;;;;;;;;1;SKU-1;Widget;2;10,50;1,00;\n"
          "L;1001;;;;;;;;;2;SKU-2;Gadget;1;5,25;;\n"
          "H;1002;04.11.2026;CAD;C2;;Toronto;Ontario;M5V;CA;;;;;;;\n"
          "L;1002;;;;;;;;;1;SKU-3;Thing;3;2,00;;\n")

MAP = ('{"transactionId": id, "type": "SalesInvoice", "date": "2026-11-03", "currency": "USD", '
       '"shipTo": {"country": "US", "region": region}, '
       '"lines": [{"number": "1", "quantity": 1, "amount": $number(amount)}]}')


def watch_errors(page):
    """Collects script errors and console errors (a CSP refusal is one) on `page.script_errors`; the API's
    expected 4xx answers (a connection looked up before it exists) are not script errors."""
    page.script_errors = []
    page.on("pageerror", lambda e: page.script_errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and "Failed to load resource" not in m.text
            and page.script_errors.append(m.text))


def engineer_page(browser):
    """A platform admin (the engineer of these tests) signed in at 1280x800."""
    context = new_context(browser)
    page = context.new_page()
    watch_errors(page)
    page.goto("/")
    page.get_by_label("E-mail").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    return context, page


def test_onboard_a_customer_through_the_wizard(browser):
    context, page = engineer_page(browser)
    page.goto("/#/onboard")
    page.get_by_role("heading", name="Onboard a customer").wait_for()
    page.get_by_label(re.compile(r"^erp-header-lines-csv")).check()
    shot(page, "designer-wizard-1-template")
    page.get_by_role("button", name="Next").click()

    wizard = page.locator(".dz-wizard-body")
    wizard.get_by_label("Tenant", exact=True).select_option("")
    page.get_by_label("Tenant id").fill("globex")
    page.get_by_label("Customer name").fill("Globex Ltd")
    shot(page, "designer-wizard-2-tenant")
    page.get_by_role("button", name="Next").click()

    # The customer's export arrives in the new tenant's file area (the Files page or the API).
    page.get_by_role("heading", name="Connection", exact=True).wait_for()
    call("PUT", "/tenants/globex/files/exports/orders-1.csv", raw=EXPORT.encode(), content_type="text/csv")
    source = page.locator(".dz-wizard-source")
    source.get_by_label("Path").fill("exports/*.csv")
    source.get_by_label("Delimiter").fill(";")
    source.get_by_label("Encoding").select_option(label="utf-8")
    source.get_by_role("button", name="Test connection").click()
    expect(source.locator("[data-check]")).to_have_attribute("data-check", "ok")
    source.get_by_role("button", name="Browse").click()
    expect(source.locator(".dz-stream").first).to_contain_text("order_no")
    destination = page.locator(".dz-wizard-destination")
    destination.get_by_label("TAXMAN address").fill(SANDBOX)
    destination.get_by_label("API key").fill(SANDBOX_KEY)
    destination.get_by_role("button", name="Test connection").click()
    expect(destination.locator("[data-check]")).to_have_attribute("data-check", "ok")
    shot(page, "designer-wizard-3-connection")
    page.get_by_role("button", name="Next").click()

    # The blanks the connection forms filled are there; the rest is typed.
    expect(page.get_by_label("files", exact=True)).to_have_value("exports/*.csv")
    expect(page.get_by_label("taxman_url", exact=True)).to_have_value(SANDBOX)
    page.get_by_label("date_format", exact=True).fill("DD.MM.YYYY")
    page.get_by_label("decimal_separator", exact=True).fill(",")
    page.get_by_label("id_prefix", exact=True).fill("GLX-")
    page.get_by_label("Pipeline name").fill("globex-orders")
    shot(page, "designer-wizard-4-parameters")
    page.get_by_role("button", name="Create the pipeline").click()

    page.get_by_role("heading", name="Schedule", exact=True).wait_for()
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Weekdays at 06:00").click()
    times = page.get_by_role("list", name="Next fire times").locator("li")
    expect(times).to_have_count(5)
    expect(times.first).to_contain_text("06:00 Europe/Berlin")
    expect(times.first).to_contain_text("T05:00:00Z)")   # 06:00 in Berlin in December
    page.get_by_label("Cron").fill("61 * * * *")
    expect(page.locator(".dz-wizard-body .sf-error").first).to_be_visible()
    page.get_by_role("button", name="Weekdays at 06:00").click()
    expect(times).to_have_count(5)
    shot(page, "designer-wizard-5-schedule")
    page.get_by_role("button", name="Create the schedule").click()

    page.get_by_role("button", name="Start the first run").click()
    final = page.locator("[data-final]")
    expect(final).to_have_attribute("data-final", "succeeded", timeout=60000)
    expect(final).to_contain_text("2 written, 0 failed")
    expect(page.locator("[data-count=written]")).to_have_text("2")
    expect(page.locator("[data-records=results] h4")).to_have_text("First results (2)")
    expect(page.locator("[data-records=results] pre")).to_contain_text("GLX-1001")
    shot(page, "designer-wizard-6-first-run")

    pipelines = call("GET", "/tenants/globex/pipelines")["pipelines"]
    assert [p["name"] for p in pipelines] == ["globex-orders"]
    schedules = call("GET", "/tenants/globex/schedules")["schedules"]
    assert [(s["cron"], s["timezone"]) for s in schedules] == [("0 6 * * mon-fri", "Europe/Berlin")]
    connections = {c["name"]: c for c in call("GET", "/tenants/globex/connections")["connections"]}
    assert connections["taxman"]["config"]["api_key"] == "${secret:TAXMAN_API_KEY}"
    assert [s["name"] for s in call("GET", "/tenants/globex/secrets")["secrets"]] == ["TAXMAN_API_KEY"]
    assert page.script_errors == []
    context.close()


def test_build_a_pipeline_on_the_canvas_by_dragging(browser, seeded):
    context, page = engineer_page(browser)
    page.goto(f"/#/t/{TENANT}/design/new")
    page.get_by_role("heading", name="New pipeline").wait_for()
    page.get_by_label("Pipeline name").fill("canvas-orders")

    page.drag_and_drop(".dz-pal-item[data-kind=source][data-name=csv]", ".dz-node-source")
    # /validate's problems show at their node and field: the csv source has no path yet.
    expect(page.locator(".dz-node-source .dz-problem-count")).to_have_text("1 problem")
    expect(page.locator(".dz-inspector [data-field='source.config.path'] .sf-error")).to_have_text(
        "required key is missing")
    page.locator(".dz-inspector").get_by_label("Path").fill("orders.csv")
    expect(page.locator(".dz-node-source .dz-problem-count")).to_have_count(0)
    page.drag_and_drop(".dz-pal-item[data-kind=step][data-name=map]", ".dz-slot[data-slot='0']")
    page.drag_and_drop(".dz-pal-item[data-kind=step][data-name=filter]", ".dz-slot[data-slot='1']")
    expect(page.locator(".dz-node-step .dz-node-kind")).to_have_text(["map", "filter"])
    # Reorder: the filter goes before the map.
    page.drag_and_drop(".dz-node[data-node='steps[1]']", ".dz-slot[data-slot='0']")
    expect(page.locator(".dz-node-step .dz-node-kind")).to_have_text(["filter", "map"])
    page.drag_and_drop(".dz-pal-item[data-kind=destination][data-name=taxman]", ".dz-node-destination")
    inspector = page.locator(".dz-inspector")
    inspector.get_by_label("TAXMAN address").fill(SANDBOX)
    inspector.get_by_label("API key").fill(SANDBOX_KEY)

    # The filter's expression: an error is underlined at its position, then fixed.
    page.locator(".dz-node[data-node='steps[0]'] .dz-node-select").click()
    expression = inspector.locator("textarea.jx-input")
    expression.fill('amount != "abc" and (')
    expect(inspector.locator("mark.jx-error")).to_be_visible()
    expect(inspector.locator(".jx-status")).to_contain_text("at character")
    shot(page, "designer-canvas-jsonata-error")
    expression.fill('amount != "abc"')
    expect(inspector.locator(".jx-status")).to_have_text("Compiles.")
    page.locator(".dz-node[data-node='steps[1]'] .dz-node-select").click()
    inspector.locator("textarea.jx-input").fill(MAP)
    expect(inspector.locator(".jx-status")).to_have_text("Compiles.")

    # The Source tab shows the same document; an edit there shows on the canvas.
    page.get_by_role("tab", name="Source").click()
    source = page.get_by_label("The pipeline document (JSON)")
    expect(source).to_have_value(re.compile(r'"filter": "amount != \\"abc\\""'))
    document = json.loads(source.input_value())
    assert [next(k for k in s if k != "name") for s in document["steps"]] == ["filter", "map"]
    assert document["destination"]["config"]["api_key"].startswith("${secret:")
    document["steps"][1]["name"] = "to-transaction"
    source.fill(json.dumps(document, indent=2))
    page.get_by_role("tab", name="Canvas").click()
    expect(page.locator(".dz-node[data-node='steps[1]'] .dz-node-label")).to_have_text("to-transaction")

    page.get_by_role("button", name="Preview").click()
    expect(page.locator("[data-preview]")).to_contain_text("4 source records")
    expect(page.locator(".dz-node[data-node=source] .dz-count")).to_have_text("4 records")
    expect(page.locator(".dz-node[data-node='steps[0]'] .dz-count")).to_have_text("3 records")
    page.locator(".dz-node[data-node='steps[0]'] .dz-node-select").click()
    expect(inspector.locator("[data-records=entering] h4")).to_have_text("Entering (4)")
    expect(inspector.locator("[data-records=leaving] h4")).to_have_text("Leaving (3)")
    shot(page, "designer-canvas-preview-filter")
    page.locator(".dz-node[data-node='steps[1]'] .dz-node-select").click()
    expect(inspector.locator("[data-records=leaving] h4")).to_have_text("Leaving (3)")
    inspector.locator("[data-records=leaving]").get_by_role("button", name="JSON").click()
    expect(inspector.locator("[data-records=leaving] pre")).to_contain_text('"transactionId": "A4"')
    # The expression's value on the picked sample record (the second one entering: A2).
    inspector.locator("[data-records=entering]").get_by_role("button", name="Use record 2 as the sample").click()
    expect(inspector.locator(".jx-value")).to_contain_text('"transactionId":"A2"')
    shot(page, "designer-canvas-preview-map")

    page.get_by_role("button", name="Dry run").click()
    expect(page.locator("[data-preview]")).to_contain_text("2 calculated, 1 refused")
    expect(inspector.locator(".pv-refused")).to_contain_text("A2")
    shot(page, "designer-canvas-dry-run")

    # The typed API key went with the preview and the dry run only: nothing is stored until Save.
    key_name = document["destination"]["config"]["api_key"][len("${secret:"):-1]
    names = lambda: [s["name"] for s in call("GET", f"/tenants/{TENANT}/secrets")["secrets"]]
    assert key_name not in names(), (key_name, names())
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("heading", name="Designing canvas-orders (version 1)").wait_for()
    assert key_name in names()
    saved = call("GET", f"/tenants/{TENANT}/pipelines/canvas-orders")
    assert [next(k for k in s if k != "name") for s in saved["document"]["steps"]] == ["filter", "map"]
    assert saved["document"]["source"] == {"connector": "csv", "config": {"path": "orders.csv"}}

    # Save as template: the source's path becomes the blank "files"; the wizard lists the new template.
    page.get_by_role("button", name="Save as template").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Template name").fill("canvas-orders-template")
    dialog.get_by_role("checkbox", name="source.config.path").check()
    dialog.get_by_label("Parameter name for source.config.path").fill("files")
    shot(page, "designer-save-as-template")
    dialog.get_by_role("button", name="Save template").click()
    expect(dialog).to_have_count(0)
    template = call("GET", "/templates/canvas-orders-template")
    assert template["parameters"] == ["files"]
    assert template["document"]["source"]["config"]["path"] == "${param:files}"

    # A second version, removing the filter with the keyboard, and its diff.
    page.get_by_role("button", name="Remove filter").click()
    expect(page.locator(".dz-node-step")).to_have_count(1)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("[data-saved]")).to_have_attribute("data-saved", "2")
    page.get_by_role("link", name="Versions").click()
    page.get_by_role("heading", name="Versions of canvas-orders").wait_for()
    expect(page.locator(".dz-diff-stats")).to_contain_text("Version 1 → 2")
    expect(page.locator(".dz-diff .dz-del").first).to_contain_text('"filter": "amount != \\"abc\\""')
    shot(page, "designer-versions-diff")
    # Run the first version (with its filter), not the newest.
    page.get_by_role("button", name="Run version 1").click()
    page.wait_for_url(re.compile(r"#/t/acme/runs/"))
    runs = call("GET", f"/tenants/{TENANT}/runs?pipeline_id={saved['id']}")["runs"]
    assert [r["pipeline_version"] for r in runs] == [1]
    assert page.script_errors == []
    context.close()


def test_connections_test_and_browse(browser, seeded):
    context, page = engineer_page(browser)
    page.goto(f"/#/t/{TENANT}/connections/new")
    page.get_by_role("heading", name="New connection").wait_for()
    page.get_by_label("Name").fill("orders-export")
    page.get_by_label("Connector").select_option("csv")
    page.get_by_label("Path").fill("missing.csv")
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("[data-check]")).to_have_attribute("data-check", "failed")
    page.get_by_label("Path").fill("orders.csv")
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("[data-check]")).to_have_attribute("data-check", "ok")
    page.get_by_role("button", name="Browse").click()
    stream = page.locator(".dz-stream").first
    for field in ("id", "region", "amount"):
        expect(stream.locator("td", has_text=re.compile(f"^{field}$"))).to_have_count(1)
    shot(page, "designer-connection-browse")
    # Testing and browsing the form stored nothing: Save does.
    assert not any(c["name"] == "orders-export" for c in call("GET", f"/tenants/{TENANT}/connections")["connections"])
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".dz-ok")).to_have_text("Saved connection orders-export.")
    page.goto(f"/#/t/{TENANT}/connections")
    expect(page.get_by_role("link", name="orders-export")).to_be_visible()
    assert call("GET", f"/tenants/{TENANT}/connections/orders-export")["config"] == {"path": "orders.csv"}

    # The connection is in the canvas's palette; a route step shows its branch and what it sent there.
    page.goto(f"/#/t/{TENANT}/design/new")
    page.get_by_role("button", name="Add source connection orders-export").click()
    expect(page.locator(".dz-node-source .dz-node-label")).to_have_text("connection orders-export")
    page.get_by_role("button", name="Add step route", exact=True).click()
    inspector = page.locator(".dz-inspector")
    inspector.locator("textarea.jx-input").fill('region = "ZZ"')
    inspector.get_by_label("Error code").fill("bad_region")
    page.get_by_role("button", name="Add destination file", exact=True).click()
    page.locator(".dz-inspector").get_by_label("Path").fill("out/orders.ndjson")
    page.get_by_role("button", name="Preview").click()
    route = page.locator(".dz-node[data-node='steps[0]']")
    expect(route.locator(".dz-branch")).to_contain_text("branch to errors as bad_region")
    expect(route.locator(".dz-node-select .dz-count")).to_have_text("3 records")
    shot(page, "designer-canvas-route")
    page.get_by_role("tab", name="Source").click()
    document = json.loads(page.get_by_label("The pipeline document (JSON)").input_value())
    assert document["source"] == {"connection": "orders-export"}
    assert document["steps"] == [{"route": {"when": 'region = "ZZ"', "code": "bad_region"}}]
    assert page.script_errors == []
    context.close()


def test_designer_models_in_the_browser(browser):
    """The designer's pure modules, run by chromium as the page loads them: the LCS diff gives both texts back,
    the chain's model moves, routes and places problems, the JSONata editor underlines the right characters."""
    context = new_context(browser)
    page = context.new_page()
    page.goto("/")
    result = page.evaluate("""async () => {
      const base = document.querySelector('script[type=module]').src.replace(/app\\.js$/, 'designer/');
      const diff = await import(base + 'diff.js');
      const model = await import(base + 'pipeline-model.js');
      const chain = await import(base + 'chain.js');
      const editor = await import(base + 'jsonata-editor.js');
      const failures = [];
      let seed = 7;
      const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      for (let k = 0; k < 300; k++) {
        const text = () => Array.from({ length: Math.floor(rnd() * 40) }, () => 'abcd'[Math.floor(rnd() * 4)]).join('\\n');
        const a = text(), b = text();
        const lines = diff.lineDiff(a, b);
        const back = (skip) => lines.filter((l) => l.op !== skip).map((l) => l.text).join('\\n');
        if (back('+') !== a || back('-') !== b) failures.push(['diff', a, b]);
      }
      const d = diff.lineDiff('a\\nb\\nc', 'a\\nc\\nd');
      if (JSON.stringify(diff.diffStats(d)) !== '{"added":1,"removed":1}') failures.push(['stats', d]);
      let doc = model.setSide(model.blankDocument('x'), 'source', 'csv', { path: 'a.csv' });
      for (const t of ['map', 'filter', 'route']) doc = model.addStep(doc, t, { type: 'string' });
      doc.steps[2] = { route: { when: 'x', code: 'bad' } };
      doc = model.moveStep(doc, 0, chain.moveTarget(0, 2));
      const kinds = doc.steps.map(model.stepType).join(',');
      if (kinds !== 'filter,map,route') failures.push(['move', kinds]);
      const route = model.nodesOf(doc).find((n) => n.type === 'route');
      if (route.branch !== 'to errors as bad') failures.push(['branch', route.branch]);
      if (model.nodeIdForField('pipeline: steps[2].route.when') !== 'steps[2]') failures.push(['field']);
      if (model.previewKey(doc, 0) !== 'steps[0].filter') failures.push(['key']);
      const r = editor.errorRange('a + foo bar', { position: 11, token: 'bar' });
      if (r.start !== 8 || r.end !== 11) failures.push(['range', r]);
      return failures;
    }""")
    assert result == []
    context.close()


def test_every_palette_item_renders_its_form(browser, seeded):
    """Each source, step and destination of the catalog added with its Add button (the keyboard way) shows its
    form in the inspector without a script error, and lands in the document; a step moves down with its button."""
    context, page = engineer_page(browser)
    page.goto(f"/#/t/{TENANT}/design/new")
    page.get_by_role("heading", name="New pipeline").wait_for()
    catalog = call("GET", "/connectors")["connectors"]
    inspector = page.locator(".dz-inspector")
    steps = 0
    for entry in catalog:
        kind, name = entry["kind"], entry["name"]
        page.get_by_role("button", name=f"Add {kind} {name}", exact=True).click()
        if kind == "step":
            steps += 1
            expect(page.locator(".dz-node-step")).to_have_count(steps)
            expect(inspector.locator("h2")).to_contain_text(f": {name}")
        else:
            expect(page.locator(f".dz-node-{kind} .dz-node-label")).to_have_text(name)
            expect(inspector.locator("h2")).to_have_text(kind.capitalize())
        expect(inspector.locator(".schema-form").first).to_be_visible()
    names = [e["name"] for e in catalog if e["kind"] == "step"]
    page.get_by_role("button", name=f"Move {names[0]} down").click()
    names[0], names[1] = names[1], names[0]
    expect(page.locator(".dz-node-step .dz-node-kind").first).to_have_text(names[0])
    page.get_by_role("tab", name="Source").click()
    document = json.loads(page.get_by_label("The pipeline document (JSON)").input_value())
    assert [next(k for k in s if k != "name") for s in document["steps"]] == names
    shot(page, "designer-canvas-every-step")
    assert page.script_errors == []
    context.close()


def test_leaving_the_canvas_with_unsaved_changes_asks_first(browser, seeded):
    context, page = engineer_page(browser)
    page.goto(f"/#/t/{TENANT}/design/new")
    page.get_by_role("button", name="Add destination file", exact=True).click()
    questions = []
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    page.evaluate(f"location.hash = '#/t/{TENANT}/connections'")
    expect(page).to_have_url(re.compile(r"/design/new$"))
    assert questions and "unsaved changes" in questions[0]
    expect(page.locator(".dz-node-destination .dz-node-label")).to_contain_text("file")
    page.once("dialog", lambda d: d.accept())
    page.evaluate(f"location.hash = '#/t/{TENANT}/connections'")
    expect(page).to_have_url(re.compile(r"/connections$"))
    assert page.script_errors == []
    context.close()


def test_the_tenant_switcher_on_designer_routes(browser, seeded):
    call("POST", "/tenants", {"id": "initech", "name": "Initech"})
    context, page = engineer_page(browser)
    page.goto(f"/#/t/{TENANT}/design/new")
    page.get_by_role("heading", name="New pipeline").wait_for()
    page.locator("#tenant-switch").select_option("initech")
    expect(page).to_have_url(re.compile(r"#/t/initech/design/new$"))
    expect(page.locator(".dz-node-source")).to_be_visible()
    page.goto(f"/#/t/{TENANT}/connections/new")
    page.get_by_role("heading", name="New connection").wait_for()
    page.locator("#tenant-switch").select_option("initech")
    expect(page).to_have_url(re.compile(r"#/t/initech/connections$"))
    expect(page.get_by_role("heading", name="Connections")).to_be_visible()
    assert page.script_errors == []
    context.close()

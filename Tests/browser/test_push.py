"""A push pipeline's page: its edge agents (state from their heartbeats, run now, the pipeline given to them, a new
one's enrolment token shown once), its push keys and the batches pushed to it; agent names and statuses shown as text."""
import json
import urllib.request

from playwright.sync_api import expect

from conftest import TENANT, URL, call, new_context, shot, sign_in

HOSTILE = '<img src=x onerror="window.__xss=1">'


def raw(method, path, body, key=None):
    """A request with a push key (or none): status and parsed answer."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(URL + "/api/v1" + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", "Bearer " + key)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read().decode() or "null")


def test_a_push_pipeline_shows_its_agents_keys_and_batches(browser, seeded):
    pipeline = call("POST", f"/tenants/{TENANT}/pipelines", {
        "version": 1, "name": "pushed-orders", "source": {"connector": "push", "config": {"run_on_arrival": False}},
        "destination": {"connector": "file", "config": {"path": "pushed.ndjson"}}})
    pid = pipeline["id"]
    base = f"/tenants/{TENANT}/pipelines/{pid}"
    key = call("POST", base + "/push-keys", {"name": "erp job"})["key"]
    assert raw("PUT", "/push/batches/erp-0001", b'{"id": "P1"}\n', key)[0] == 201
    agent = call("POST", base + "/agents", {"name": "site " + HOSTILE})
    _, enrolled = raw("POST", "/agent/enrol", {"token": agent["enrolment_token"]})
    status = {"version": "0.15.0", "run_requests_seen": 0, "config_version": 0, "pipeline": "local file",
              "pipeline_name": "site-orders", "spool": {"segments": 2, "bytes": 4096, "pushable": 2},
              "last_error": "batch x: 503 " + HOSTILE, "config_error": None, "stopped_by": None, "corrupt_segments": [],
              "last_run": {"status": "succeeded", "read": 12, "spooled": 12, "failed": 0, "reason": None}}
    assert raw("POST", "/agent/heartbeat", status, enrolled["push_key"])[0] == 200

    context = new_context(browser)
    page = context.new_page()
    sign_in(page)
    page.goto(f"/#/t/{TENANT}/pipelines/{pid}")
    agents = page.locator('section[aria-labelledby="agents"]')
    row = agents.locator("tr", has_text="site <img")
    expect(row).to_contain_text("online")
    expect(row).to_contain_text("v0.15.0")
    expect(row).to_contain_text("2 segments, 4.0 KB")
    expect(row).to_contain_text("12 read, 12 spooled")
    expect(row).to_contain_text("push: batch x: 503 <img")
    expect(page.locator("tr", has_text="erp-0001")).to_contain_text("pending")
    expect(page.locator("tr", has_text="erp job")).to_contain_text("active")
    expect(page.locator("tr", has_text="agent site <img")).to_contain_text("active")  # the agent's own key
    assert page.evaluate("window.__xss") is None and page.locator("main img").count() == 0
    shot(page, "20-push-pipeline")

    # Run now: asked of the agent, which its next heartbeat hands over.
    row.get_by_role("button", name="Run now").click()
    expect(page.locator(".toast").last).to_contain_text("Run asked")
    expect(agents.locator("tr", has_text="site <img")).to_contain_text("run asked")
    assert call("GET", base + "/agents")["agents"][0]["run_requests"] == 1

    # The pipeline given to the agent: a refused one names its field; a good one becomes version 1.
    agents.locator("tr", has_text="site <img").get_by_role("button", name="Pipeline…").click()
    dialog = page.get_by_role("dialog")
    document = {"version": 1, "name": "site", "source": {"connector": "csv", "config": {"path": "exports/*.csv"}},
                "destination": {"connector": "onramp_push", "config": {"server": "https://elsewhere.example"}}}
    dialog.get_by_label("Pipeline (JSON)").fill(json.dumps(document))
    dialog.get_by_role("button", name="Give it to the agent").click()
    expect(dialog.get_by_role("alert")).to_contain_text("pipeline.destination.config")
    document["destination"] = {"connector": "onramp_push"}
    dialog.get_by_label("Pipeline (JSON)").fill(json.dumps(document))
    dialog.get_by_label("Seconds between runs").fill("600")
    dialog.get_by_role("button", name="Give it to the agent").click()
    expect(page.locator(".toast").last).to_contain_text("Version 1 given")
    given = call("GET", base + f"/agents/{agent['id']}/config")
    assert given["version"] == 1 and given["every_seconds"] == 600 and given["pipeline"] == document
    expect(agents.locator("tr", has_text="site <img")).to_contain_text("given: v1")

    # A new agent: its enrolment token, shown once with the command that uses it.
    page.get_by_label("New agent").fill("branch office")
    page.get_by_role("button", name="Add agent").click()
    token = agents.locator(".secret-once").inner_text().strip()
    assert token.startswith("one_")
    expect(page.locator("main code", has_text="onramp agent enrol")).to_contain_text(token)
    expect(agents.locator("tr", has_text="branch office")).to_contain_text("not enrolled")
    assert raw("POST", "/agent/enrol", {"token": token})[0] == 200

    # A push key made here pushes.
    page.get_by_label("New push key").fill("second job")
    page.get_by_role("button", name="Create push key").click()
    secret = page.locator('section[aria-labelledby="push-keys"] .secret-once').inner_text().strip()
    assert secret.startswith("onp_") and raw("PUT", "/push/batches/erp-0002", b'{"id": "P2"}\n', secret)[0] == 201
    page.reload()
    expect(page.locator("tr", has_text="erp-0002")).to_contain_text("pending")
    shot(page, "21-push-pipeline-after")
    context.close()

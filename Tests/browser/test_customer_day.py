"""A customer's day by clicking: sign in, change a schedule and watch the next fire times change, run now and watch
it finish live, open the errors, fix a record and replay it, download the results and compare the bytes."""
import datetime
import json
import re

from playwright.sync_api import expect

from conftest import TENANT, call, new_context, shot, sign_in


def fire_times(page):
    """The ISO times the schedule editor lists (each item's title)."""
    return page.locator(".schedule-editor .fire-times li").evaluate_all("items => items.map(i => i.title)")


def test_customer_day(browser, seeded):
    pipeline = seeded["pipeline"]
    context = new_context(browser)
    page = context.new_page()
    event_streams = []
    page.on("request", lambda r: event_streams.append(r.url) if r.url.endswith("/events") else None)

    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to Onramp")).to_be_visible()
    shot(page, "01-login")
    page.get_by_label("E-mail").fill("ann@acme.test")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong e-mail or password")
    sign_in(page)
    expect(page.get_by_text("All good")).to_be_visible()
    shot(page, "02-dashboard")

    # The schedule: weekdays at 07:30 instead of every day at 06:00; the next 5 fire times follow as we type.
    page.get_by_role("link", name="Pipelines", exact=True).click()
    expect(page.get_by_role("heading", name="Pipelines")).to_be_visible()
    shot(page, "03-pipelines")
    page.get_by_role("link", name="orders").click()
    expect(page.get_by_role("heading", name="orders")).to_be_visible()
    page.get_by_role("button", name="Edit").click()
    expect(page.locator(".schedule-editor .fire-times li")).to_have_count(5)
    before = fire_times(page)
    assert all(t.endswith("T06:00:00Z") for t in before), before
    page.get_by_label("Repeat").select_option(label="Weekdays (Mon-Fri) at")
    page.get_by_label("Time", exact=True).fill("07:30")
    expect(page.locator(".schedule-editor .fire-times li").first).to_contain_text("07:30")
    after = fire_times(page)
    assert len(after) == 5 and after != before
    for t in after:
        at = datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
        assert (at.hour, at.minute) == (7, 30) and at.weekday() < 5, t
    page.get_by_label("Repeat").select_option(label="Custom (cron)")
    page.get_by_label("Cron expression").fill("99 * * * *")
    expect(page.locator(".schedule-editor .error-box")).to_be_visible()
    page.get_by_label("Cron expression").fill("30 7 * * mon-fri")
    expect(page.locator(".schedule-editor .fire-times li")).to_have_count(5)
    assert fire_times(page) == after
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    expect(page.locator(".schedule-editor .fire-times li").first).not_to_have_attribute("title", after[0])
    berlin = fire_times(page)
    assert all(t.endswith(("T06:30:00Z", "T05:30:00Z")) for t in berlin), berlin
    shot(page, "04-schedule-editor")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.locator("table").first).to_contain_text("30 7 * * mon-fri")
    saved = call("GET", f"/tenants/{TENANT}/schedules/{seeded['schedule']['id']}")
    assert (saved["cron"], saved["timezone"], saved["enabled"]) == ("30 7 * * mon-fri", "Europe/Berlin", True)
    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("button", name="Enable")).to_be_visible()
    assert call("GET", f"/tenants/{TENANT}/schedules/{seeded['schedule']['id']}")["enabled"] is False
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_role("button", name="Disable")).to_be_visible()
    shot(page, "05-pipeline")

    # Run now, confirmed, then watched until it ends (server-sent events, or polling where the route is missing).
    page.get_by_role("button", name="Run now").click()
    page.get_by_role("dialog").get_by_role("button", name="Run now").click()
    expect(page.get_by_role("heading", name="Run of orders")).to_be_visible()
    run_id = re.search(r"/runs/([^/?]+)$", page.url).group(1)
    expect(page.locator(".page-head .badge")).to_have_text("succeeded with errors", timeout=60000)
    run = call("GET", f"/tenants/{TENANT}/runs/{run_id}")
    assert run["state"] == "succeeded_with_errors"
    assert (run["summary"]["records_written"], run["summary"]["records_failed"]) == (2, 2)
    expect(page.locator(".stat").first).to_contain_text("4")
    print(f"\nlive progress: {'server-sent events' if event_streams else 'polling'} ({len(event_streams)} streams)")
    shot(page, "06-run")

    # The error queue: the refused address, fixed and replayed.
    page.get_by_role("link", name="Open these in the error queue").click()
    expect(page.get_by_role("heading", name="Error queue")).to_be_visible()
    records = page.get_by_role("region", name="Records")
    expect(records.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_role("region", name="By code").locator("tbody tr")).to_have_count(2)
    shot(page, "07-errors")
    page.get_by_role("searchbox", name="Search").fill("InvalidAddress")
    page.get_by_role("button", name="Search").click()
    expect(records.locator("tbody tr")).to_have_count(1)
    records.locator("tbody tr", has_text="InvalidAddress").get_by_role("link").first.click()
    editor = page.get_by_label("The record as sent (JSON)")
    expect(editor).to_be_visible()
    value = json.loads(editor.input_value())
    assert value["shipTo"]["region"] == "ZZ"
    shot(page, "08-error")
    value["shipTo"]["region"] = "CA"
    editor.fill(json.dumps(value, indent=2))
    page.get_by_role("button", name="Save and replay").click()
    expect(page.get_by_role("heading", name="Run of orders")).to_be_visible()
    replay_id = re.search(r"/runs/([^/?]+)$", page.url).group(1)
    assert replay_id != run_id
    expect(page.locator(".page-head .badge")).to_have_text("succeeded", timeout=60000)
    replay = call("GET", f"/tenants/{TENANT}/runs/{replay_id}")
    assert replay["kind"] == "replay" and replay["summary"]["records_written"] == 1
    entries = call("GET", f"/tenants/{TENANT}/errors?run_id={run_id}&state=resolved")["errors"]
    assert [e["code"] for e in entries] == ["taxman.InvalidAddress"] or len(entries) == 1, entries

    # Downloads: the bytes the browser saves are the API's.
    page.goto(f"/#/t/{TENANT}/runs/{run_id}")
    expect(page.get_by_role("link", name="Results (NDJSON)")).to_be_visible()
    for name, query in [("Results (NDJSON)", "format=ndjson"), ("Results (CSV)", "format=csv"), ("Errors (CSV)", "format=csv")]:
        with page.expect_download() as info:
            page.get_by_role("link", name=name).click()
        saved = open(info.value.path(), "rb").read()
        route = "results" if name.startswith("Results") else "errors"
        assert saved == call("GET", f"/tenants/{TENANT}/runs/{run_id}/{route}?{query}").encode(), name
        if name == "Results (NDJSON)":
            lines = [json.loads(line) for line in saved.decode().splitlines() if line.strip()]
            assert len(lines) == 2, lines
            print(f"results download: {len(saved)} bytes, {len(lines)} records")
    assert pipeline["name"] == "orders"
    context.close()

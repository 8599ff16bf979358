#!/usr/bin/env bash
# The package README's path in a real browser (headless Chromium through WebDriver, Python's
# selenium) on `respack serve`'s web pages: log in with the app.config's email and password;
# Administrator Settings -> Organization -> Import -> Import Settings, upload qraw_mitre.res,
# see the preview and Proceed; Import History says ACCEPTED; on the incident for offense 23,
# Actions -> "QRadar Advisor Offense Analysis with MITRE" fills "MITRE ATT&CK of Incident"
# (TA0011, "Displaying 1 - 1 of 1") and the techniques; the "..." menu on the Port Knocking row
# runs "Create Task for MITRE ATT&CK technique" and the task shows in Tasks; then the map-rule
# story: artifact 192.168.0.155 -> "Find All QRadar Reference Sets" -> the reference set row's
# "Map rule to MITRE tactic" -> "MITRE ATT&CK of Artifact" (TA0001). Also: an artifact value
# carrying markup shows as text and runs nothing; a second upload is Cancelled (REJECTED).
# Screenshots of each page go to target/browser/ (CI artifacts); docs/incident.png is made from
# the incident page's (RESPACK_UPDATE_DOCS=1 copies it there).
# Needs $RESPACK, $VENV (with selenium), chromium and chromedriver (.ci/run installs them).
set -u
: "${RESPACK:?set RESPACK to the respack binary}" "${VENV:?set VENV to a virtualenv with selenium}"
fail() { echo "browser: FAIL: $*"; exit 1; }
command -v chromedriver >/dev/null || fail "no chromedriver (Debian: apt-get install chromium chromium-driver)"
CHROMIUM=$(command -v chromium || command -v chromium-browser) || fail "no chromium"
ROOT=$(pwd)
SHOTS=$ROOT/target/browser
rm -rf "$SHOTS"; mkdir -p "$SHOTS"
d=$(mktemp -d /tmp/respack-browser.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT
export RESPACK_CACHE_DIR=$d/cache
start=$(date +%s)

"$RESPACK" build --out "$d/dist" >"$d/build.log" 2>&1 || fail "respack build: $(tail -2 "$d/build.log")"
"$RESPACK" serve --listen 127.0.0.1:0 --db "$d/org.db" --write-config "$d/app.config" --seed-integrations \
  >"$d/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -s "$d/app.config" ] && break; sleep 0.1; done
[ -s "$d/app.config" ] || fail "serve wrote no app.config: $(tail -2 "$d/serve.log")"

"$VENV/bin/python" - "$d/app.config" "$d/dist/qraw_mitre.res" "$d" "$SHOTS" "$CHROMIUM" <<'PY' || { tail -5 "$d/serve.log"; exit 1; }
import base64, configparser, json, re, ssl, sys, time, urllib.request
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

cfg_path, res, work, shots, chromium = sys.argv[1:6]
text = open(cfg_path).read()
c = configparser.ConfigParser(); c.read(cfg_path); r = c["resilient"]
email = re.search(r"^#?\s*email\s*=\s*(\S+)", text, re.M).group(1)
password = re.search(r"^#?\s*password\s*=\s*(\S+)", text, re.M).group(1)
base = f"https://{r['host']}:{r['port']}"

# The incident escalated from offense 23, made over REST as QRadar's escalation would.
ctx = ssl.create_default_context(cafile=r["cafile"])
auth = base64.b64encode(f"{r['api_key_id']}:{r['api_key_secret']}".encode()).decode()
def rest(method, path, body=None):
    q = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                               headers={"Authorization": "Basic " + auth, "Content-Type": "application/json"})
    with urllib.request.urlopen(q, timeout=30, context=ctx) as resp:
        return json.loads(resp.read() or b"null")
org = next(o for o in rest("GET", "/rest/session")["orgs"] if o["name"] == r["org"])["id"]
inc = rest("POST", f"/rest/orgs/{org}/incidents",
           {"name": "QRadar offense 23", "discovered_date": 1551052800000, "properties": {"qradar_id": "23"}})["id"]

o = webdriver.ChromeOptions(); o.binary_location = chromium
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--ignore-certificate-errors", "--window-size=1400,1000", f"--user-data-dir={work}/chromium"):
    o.add_argument(a)
drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
step = [0]
def shot(name):
    step[0] += 1
    drv.save_screenshot(f"{shots}/{step[0]:02d}-{name}.png")
def fail(msg):
    try: shot("fail")
    finally:
        print("browser: FAIL: " + msg + f" (at {drv.current_url})"); drv.quit(); sys.exit(1)
def body(): return drv.find_element(By.TAG_NAME, "body").text
def section(css):
    found = drv.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else ""
def wait_for(check, what, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if check(): return
        except (StaleElementReferenceException, NoSuchElementException):
            pass  # the page was being replaced while it was read: read the new one
        time.sleep(0.5)
    fail(f"never saw {what}")
def link(label): drv.find_element(By.LINK_TEXT, label).click()
def button(label, scope=None):
    (scope or drv).find_element(By.XPATH, f".//button[normalize-space(.)={label!r}]").click()
runs = [0]
def wait_run():
    # The page polls the run and reloads itself when the workflows end: no reload here. Each
    # run has a new id, so an earlier run's result on the page before the click does not count.
    runs[0] += 1
    done = f"#run[data-run='{runs[0]}']:is(.run-completed, .run-failed, .run-refused)"
    wait_for(lambda: drv.find_elements(By.CSS_SELECTOR, done), f"the result of run {runs[0]}", 120)
    if not drv.find_elements(By.CSS_SELECTOR, "#run.run-completed"):
        fail("the action did not complete: " + section("#run"))
def row_menu(row_css, rule):
    row = drv.find_element(By.CSS_SELECTOR, row_css)
    row.find_element(By.CSS_SELECTOR, "summary[aria-label]").click()
    button(rule, row)

try:
    # Every page needs a session: the org's root sends to the login form.
    drv.get(base + "/")
    if "/login" not in drv.current_url: fail("no redirect to the login page")
    if "respack reference org — not IBM SOAR" not in body(): fail("the login page does not say it is not IBM SOAR")
    shot("login")
    drv.find_element(By.CSS_SELECTOR, "input[type=email]").send_keys(email)
    drv.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(password)
    drv.find_element(By.CSS_SELECTOR, "input[type=password]").submit()
    wait_for(lambda: "Incidents" in drv.title, "the incident list after logging in", 15)
    shot("incidents")

    # The README: Administrator Settings -> Organization -> Import -> Import Settings.
    link("Administrator Settings"); link("Organization"); link("Import")
    if "Import Settings" not in body(): fail("no Import Settings page")
    if drv.find_elements(By.XPATH, "//button[normalize-space(.)='Proceed']"): fail("Proceed before any upload")
    drv.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(res)
    shot("import-settings")
    button("+ Import Settings")
    wait_for(lambda: "QRadar Advisor Offense Analysis with MITRE" in body(), "the preview naming the rule", 20)
    if "PENDING" not in body() or "create" not in body(): fail("the preview does not show a PENDING import's creations")
    shot("import-preview")
    button("Proceed")
    wait_for(lambda: "Import History" in drv.title, "Import History after Proceed", 20)
    if "ACCEPTED" not in section("table"): fail("Import History does not list the import as ACCEPTED")
    shot("import-history")

    # Cancel rejects: a second upload of the same file, then Cancel.
    link("Import")
    drv.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(res)
    button("+ Import Settings")
    wait_for(lambda: "PENDING" in body(), "the second preview", 20)
    button("Cancel")
    wait_for(lambda: "REJECTED" in body(), "REJECTED in Import History", 20)

    # The incident escalated from offense 23: Actions -> the package's rule.
    link("Incidents"); link("QRadar offense 23")
    summary = section("aside.summary")
    for label in ("ID", "Phase", "Severity", "Date Created", "qradar_id", "23"):
        if label not in summary: fail(f"the summary lacks {label!r}: {summary!r}")
    drv.find_element(By.XPATH, "//summary[normalize-space(.)='Actions']").click()
    button("QRadar Advisor Offense Analysis with MITRE")
    wait_run()
    table = section("#table-mitre_attack_of_incident")
    for want in ("MITRE ATT&CK of Incident", "ATT&CK Tactic", "Tactic Code", "Command and Control", "TA0011",
                 "Displaying 1 - 1 of 1"):
        if want not in table: fail(f"'MITRE ATT&CK of Incident' lacks {want!r}: {table!r}")
    techniques = section("#table-mitre_attack_techniques")
    if "Port Knocking" not in techniques or "Technique id" not in techniques:
        fail("'MITRE ATT&CK Techniques' has no Port Knocking row")
    # The README's screenshot: the page from its top down to "MITRE ATT&CK of Incident".
    drv.set_window_size(1280, 1500); drv.execute_script("window.scrollTo(0, 0)")
    shot("incident")
    drv.set_window_size(1400, 1000)

    # The row menu on Port Knocking creates the task.
    port = drv.find_element(By.XPATH, "//section[@id='table-mitre_attack_techniques']//tr[td[normalize-space(.)='Port Knocking']]")
    port.find_element(By.CSS_SELECTOR, "summary[aria-label]").click()
    shot("row-menu")
    button("Create Task for MITRE ATT&CK technique", port)
    wait_run()
    link("Tasks")
    tasks = section("#tasks")
    if "MITRE ATT&CK Technique: Port Knocking" not in tasks: fail(f"the task is not in Tasks: {tasks[:300]!r}")
    for part in ("Description", "Detection"):
        if part not in tasks: fail(f"the task's instructions lack {part!r}")
    shot("task")

    # The map-rule story, from the artifact 192.168.0.155.
    drv.find_element(By.CSS_SELECTOR, "form.add-artifact select[name=type] option[value='IP Address'], "
                                      "form.add-artifact select[name=type] option").click()
    drv.find_element(By.CSS_SELECTOR, "form.add-artifact input[name=value]").send_keys("192.168.0.155")
    button("Add Artifact")
    wait_for(lambda: "192.168.0.155" in section("#artifacts"), "the artifact in Artifacts", 15)
    aid = drv.find_element(By.XPATH, "//section[@id='artifacts']//tr[td[normalize-space(.)='192.168.0.155']]").get_attribute("id")
    row_menu(f"#{aid}", "Find All QRadar Reference Sets")
    wait_run()
    refset = section("#table-qradar_reference_set")
    if "RF Risklist Source Log" not in refset: fail(f"no reference set row with its source rule: {refset!r}")
    row = drv.find_element(By.XPATH, "//section[@id='table-qradar_reference_set']//tr[td[normalize-space(.)='RF Risklist Source Log']]")
    row_menu(f"#{row.get_attribute('id')}", "Map rule to MITRE tactic")
    wait_run()
    art = section("#table-mitre_attack_of_artifact")
    for want in ("MITRE ATT&CK of Artifact", "192.168.0.155", "Initial Access", "TA0001"):
        if want not in art: fail(f"'MITRE ATT&CK of Artifact' lacks {want!r}: {art!r}")
    drv.execute_script("document.getElementById('table-mitre_attack_of_artifact').scrollIntoView()")
    shot("map-rule")

    # Markup in an artifact value is shown as text and runs nothing.
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    drv.find_element(By.CSS_SELECTOR, "form.add-artifact input[name=value]").send_keys(evil)
    button("Add Artifact")
    wait_for(lambda: evil in section("#artifacts"), "the markup shown as text", 15)
    try:
        drv.switch_to.alert; fail("a script in an artifact value ran")
    except NoAlertPresentException:
        pass

    # Customization Settings: the workflows with their steps as text.
    link("Customization Settings"); link("Workflows")
    wf = drv.find_elements(By.XPATH, "//article[h2[contains(normalize-space(.), 'Example of QRadar Advisor Offense Analysis with MITRE')]]//pre")
    if not wf or "workflow qradar_advisor_offense_analysis_mitre" not in wf[0].text or "function" not in wf[0].text:
        fail("the workflows tab does not show the package's workflow with its steps")
    shot("workflows")

    # Log out: the pages need a session again.
    button("Log out")
    drv.get(base + f"/orgs/{org}/incidents/{inc}")
    if "/login" not in drv.current_url: fail("the incident page is shown after logging out")
finally:
    drv.quit()
PY
if [ "${RESPACK_UPDATE_DOCS:-}" = 1 ]; then cp "$SHOTS"/*-incident.png "$ROOT/docs/incident.png"; fi
echo "browser: the README's path in headless Chromium passed in $(( $(date +%s) - start ))s; screenshots in target/browser/"

"""Browser journeys: the real application in a subprocess, driven by Chromium.

What this harness gives a test:

- ``live_server`` (session): the app started with ``flask run`` on a free 127.0.0.1 port,
  on a fresh SQLite database with the demo data (``flask db upgrade``, ``flask demo load``),
  mail written to ``live_server.outbox`` as .eml files. ``live_server.url``,
  ``live_server.latest_email(to, subject=...)``.
- ``page``: a Playwright page (sync API, desktop 1280x900) in a context of its own.
  ``new_page(viewport=..., name=...)`` opens more, each in its own context (its own cookies),
  e.g. a second user signed in at the same time.
  Every page is watched: console errors, uncaught page errors, Content-Security-Policy
  violations, failed requests and responses >= 400 make the test fail (at the latest at its
  end; call ``assert_clean(page)`` to fail at the step where it happened).
  ``expect_http_error(page, 422)`` declares an expected error response inside a ``with`` block,
  ``expect_request_failure(page, "/scan")`` a request the network is made to drop (``context.route``).
- ``check_accessibility(page, name)``: axe-core (vendored, see ``AXE_VERSION``) on the page as
  it is; fails on violations of impact "serious" or "critical", naming rule, help and nodes.
- ``screenshot(page, name)``: ``tests/screenshots/<test>/<NN>-<name>.png``, numbered in order.
- ``assert_fits_width(page)``: the page does not scroll sideways (phones).
- ``login(page, email, password)``, ``logout(page)``, ``link_in(message, path)``.

Without Chromium every test here is skipped with the reason (``pytest -ra`` shows it).
"""
import contextlib
import email
import email.policy
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent
PROJECT_DIR = E2E_DIR.parent.parent
SCREENSHOT_DIR = PROJECT_DIR / "tests" / "screenshots"
# axe-core from npm (`npm pack axe-core@4`, package/axe.min.js), MPL-2.0 (vendor/axe-LICENSE.txt).
AXE_VERSION = "4.14.1"
AXE_SCRIPT = E2E_DIR / "vendor" / f"axe-{AXE_VERSION}.min.js"
DEMO_PASSWORD = "gosmart-demo"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 10_000

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - requirements.txt has it
    sync_playwright = expect = None


def chromium_path():
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


# --- The application -----------------------------------------------------------------

def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    outbox: Path
    log: Path
    process: subprocess.Popen = None

    def emails(self, to):
        """The messages to `to`, oldest first."""
        found = []
        for path in sorted(self.outbox.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name)):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to.lower() in str(message["To"]).lower():
                found.append(message)
        return found

    def latest_email(self, to, subject=None, timeout=5.0):
        """The newest message to `to` (whose subject contains `subject`), waiting a little for it."""
        deadline = time.monotonic() + timeout
        while True:
            messages = [m for m in self.emails(to) if subject is None or subject.lower() in str(m["Subject"]).lower()]
            if messages:
                return messages[-1]
            if time.monotonic() > deadline:
                subjects = [str(m["Subject"]) for m in self.emails(to)]
                raise AssertionError(f"no email to {to} with subject containing {subject!r}; found {subjects}")
            time.sleep(0.1)

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def link_in(message, path_part):
    """The first link in the plain-text part of `message` that contains `path_part`."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    for url in re.findall(r"https?://\S+", body):
        if path_part in url:
            return url.rstrip(".,)>")
    raise AssertionError(f"no link containing {path_part!r} in:\n{body}")


@pytest.fixture(scope="session")
def chromium():
    if sync_playwright is None:
        pytest.skip("the playwright package is not installed: pip install -r requirements.txt")
    path = chromium_path()
    if not path:
        pytest.skip("Chromium not installed: apt-get install -y chromium to run the browser journeys")
    return path


@pytest.fixture(scope="session")
def live_server(chromium, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    flask = str(Path(sys.executable).parent / "flask")
    env = dict(
        os.environ, GOSMART_ENV="development", FLASK_APP="wsgi.py", FLASK_DEBUG="0",
        DATABASE_URL=f"sqlite:///{tmp / 'e2e.db'}", GOSMART_INSTANCE_DIR=str(tmp),
        GOSMART_UPLOAD_DIR=str(tmp / "uploads"), GOSMART_OUTBOX_DIR=str(tmp / "outbox"),
        MAIL_TRANSPORT="outbox", EXTERNAL_BASE_URL=url, SESSION_COOKIE_SECURE="0", PYTHONUNBUFFERED="1",
        # Every journey signs in from 127.0.0.1; the login limits are tested in tests/test_auth.py.
        LOGIN_RATE_LIMIT="1000 per minute", PASSWORD_RESET_RATE_LIMIT="1000 per minute",
    )
    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "TEST_DATABASE_URL", "SECRET_KEY"):
        env.pop(name, None)
    for args in (["db", "upgrade"], ["demo", "load"]):
        done = subprocess.run([flask, *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    log = tmp / "server.log"
    server = LiveServer(url=url, outbox=tmp / "outbox", log=log)
    with open(log, "wb") as out:
        server.process = subprocess.Popen(
            [flask, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload", "--no-debugger"],
            cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(f"the app exited with {server.process.returncode}:\n{server.log_tail()}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not answer /healthz within 30 s:\n{server.log_tail()}")
            time.sleep(0.1)
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture(autouse=True)
def _clean():
    """tests/conftest.py empties the in-process test database after every test; the journeys
    use the live server's database instead, so there is nothing to clean."""


# --- The browser and the watched pages ------------------------------------------------

@pytest.fixture(scope="session")
def browser(chromium):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Reports CSP violations into window.__cspViolations and, across navigations, to the test.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  var text = event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
             " (" + (event.sourceFile || "") + ":" + (event.lineNumber || 0) + ":" + (event.columnNumber || 0) + ")";
  window.__cspViolations.push(text);
  if (window.__gosmartCsp) { window.__gosmartCsp(text); }
});
"""
FAILED_STATUS = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")


@dataclass
class Monitor:
    """What went wrong on one page; `expected` holds the error statuses a test announced."""
    name: str
    problems: list = field(default_factory=list)
    expected: list = field(default_factory=list)  # [status, url_part, times seen]
    dropped: list = field(default_factory=list)   # [url_part, times seen]: requests the test makes fail

    def _dropped(self, url):
        for entry in self.dropped:
            if entry[0] in url:
                entry[1] += 1
                return True
        return False

    def _announced(self, status, url=""):
        for entry in self.expected:
            if entry[0] == status and (entry[1] is None or entry[1] in url):
                entry[2] += 1
                return True
        return False

    def console(self, message):
        if message.type != "error":
            return
        match = FAILED_STATUS.search(message.text)
        if match and self._announced(int(match.group(1))):
            return
        if match:  # the response handler reports it with its URL
            return
        if "net::ERR_" in message.text and self._dropped(message.location.get("url", "") or message.text):
            return
        self.problems.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def response(self, response):
        if response.status >= 400 and not self._announced(response.status, response.url):
            self.problems.append(f"HTTP {response.status} for {response.request.method} {response.url}")

    def request_failed(self, request):
        failure = request.failure or ""
        # A request the page cancelled itself (a navigation, htmx's hx-sync replacing an
        # older validation request, a download) is not an error of the app.
        if "ERR_ABORTED" in failure:
            return
        if self._dropped(request.url):
            return
        self.problems.append(f"request failed: {request.method} {request.url}: {failure}")


_monitors = {}


def _monitor(page):
    return _monitors[id(page)]


def _describe(monitor):
    return f"{monitor.name}:\n  " + "\n  ".join(monitor.problems)


def assert_clean(page):
    """No console error, page error, CSP violation, failed request or unexpected error response so far."""
    monitor = _monitor(page)
    with contextlib.suppress(Exception):  # a page that is navigating has no window to ask
        for violation in page.evaluate("window.__cspViolations || []"):
            text = f"CSP violation: {violation}"
            if text not in monitor.problems:
                monitor.problems.append(text)
    if monitor.problems:
        message = _describe(monitor)
        monitor.problems.clear()  # reported here, not again when the test ends
        raise AssertionError(message)


@contextlib.contextmanager
def expect_http_error(page, status, url_part=None, timeout=5.0):
    """Inside the block, responses with `status` (to a URL containing `url_part`) are expected;
    at least one must come."""
    monitor = _monitor(page)
    entry = [status, url_part, 0]
    monitor.expected.append(entry)
    try:
        yield
        deadline = time.monotonic() + timeout
        while entry[2] == 0 and time.monotonic() < deadline:
            page.wait_for_timeout(50)  # lets Playwright deliver the pending events
        assert entry[2], f"expected an HTTP {status} response{f' for {url_part}' if url_part else ''}, none came"
    finally:
        monitor.expected.remove(entry)


@contextlib.contextmanager
def expect_request_failure(page, url_part, timeout=5.0):
    """Inside the block, requests to URLs containing `url_part` are expected to fail at the network
    level (the test drops them with ``context.route(...).abort()`` or ``set_offline``); at least one must."""
    monitor = _monitor(page)
    entry = [url_part, 0]
    monitor.dropped.append(entry)
    try:
        yield
        deadline = time.monotonic() + timeout
        while entry[1] == 0 and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert entry[1], f"expected a request to {url_part} to fail, none did"
    finally:
        monitor.dropped.remove(entry)


@pytest.fixture
def new_page(browser, live_server):
    """Open a watched page in a browser context of its own; all are checked and closed at the end."""
    contexts, pages = [], []

    def open_page(viewport=DESKTOP, name=None):
        context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="en-GB",
                                      timezone_id="Asia/Taipei")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_WATCH)
        page = context.new_page()
        monitor = Monitor(name or f"page {len(pages) + 1}")
        _monitors[id(page)] = monitor
        page.expose_function("__gosmartCsp", lambda text: monitor.problems.append(f"CSP violation: {text}"))
        page.on("console", monitor.console)
        page.on("pageerror", lambda error: monitor.problems.append(f"page error: {error}"))
        page.on("response", monitor.response)
        page.on("requestfailed", monitor.request_failed)
        contexts.append(context)
        pages.append(page)
        return page

    yield open_page
    problems = [_describe(_monitors[id(p)]) for p in pages if _monitors[id(p)].problems]
    for page in pages:
        _monitors.pop(id(page), None)
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("the browser reported problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(new_page):
    return new_page()


# --- Screenshots and accessibility ----------------------------------------------------

_shots = {"folder": None, "step": 0}


@pytest.fixture(autouse=True)
def _screenshot_folder(request):
    folder = SCREENSHOT_DIR / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    _shots.update(folder=folder, step=0)
    yield
    _shots.update(folder=None, step=0)


def screenshot(page, name, full_page=True):
    """A numbered PNG under tests/screenshots/<test name>/."""
    _shots["step"] += 1
    folder = _shots["folder"] or SCREENSHOT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_shots['step']:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    # caret="initial": Playwright's default caret hiding leaves style="" on every input,
    # which htmx then copies onto swapped-in elements, and the CSP (rightly) refuses that.
    page.screenshot(path=str(path), full_page=full_page, caret="initial")
    return path


def assert_fits_width(page):
    """Nothing makes the page wider than its window (on a phone it would scroll sideways);
    wide tables scroll inside their own box."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than its {page.viewport_size['width']}px window"


_axe_source = None


def check_accessibility(page, name, fail_on=("serious", "critical")):
    """Run axe-core on the page as it is now; fail on violations of impact `fail_on`.

    The script is evaluated through the DevTools protocol (page.evaluate), which the
    page's Content-Security-Policy does not govern: the app's CSP stays as strict as in
    production and no inline script is added to the page."""
    global _axe_source
    if _axe_source is None:
        _axe_source = AXE_SCRIPT.read_text(encoding="utf-8")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source)
    results = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary}))}));
    }""")
    serious = [v for v in results if v["impact"] in fail_on]
    if serious:
        lines = [f"axe-core {AXE_VERSION}: {len(serious)} accessibility violation(s) on {name} ({page.url}):"]
        for violation in serious:
            lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
            for node in violation["nodes"][:10]:
                lines.append(f"    at {node['target']}")
                lines.extend(f"       {line.strip()}" for line in (node["summary"] or "").splitlines())
        pytest.fail("\n".join(lines), pytrace=False)
    return results


# --- Signing in and out ----------------------------------------------------------------

def login(page, email, password=DEMO_PASSWORD):
    """Sign in through the login form; returns once the browser has left /login."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    expect(page.get_by_role("button", name="Sign out", include_hidden=True)).to_be_attached()


def logout(page):
    page.locator("details.dropdown summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failing journey, show the end of the server's log with the report."""
    outcome = yield
    report = outcome.get_result()
    server = item.funcargs.get("live_server") if hasattr(item, "funcargs") else None
    if report.failed and server is not None:
        report.sections.append(("gosmart server log (last lines)", server.log_tail()))

"""`make bench`: gosmart under gunicorn against a bare Flask app, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.run                       # the issue's dataset, both databases
    .venv/bin/python -m bench.run --scale tiny --databases sqlite --duration 2 --no-bulk

For each database: the dataset (built once, then reused), the bare app and gosmart served by
the same gunicorn with the same settings (gunicorn.conf.py when present, 2 workers), each
endpoint under load from loopback, the peak memory of every worker. Then the certificate PDFs:
one through the application against WeasyPrint alone on the same HTML, and the bulk job of
attendance certificates with one worker and with two worker processes. Prints a table and
writes bench/results.json."""
import argparse
import html
import json
import os
import platform
import random
import re
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import quote, urlencode

from sqlalchemy.engine import make_url

from . import dataset, load
from .dataset import ROOT, log

BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')
NEXT = re.compile(r'<a href="([^"]+)"[^>]*rel="next"')
WORKERS = 2
TARGETS = {"ratio_to_bare": 0.30, "p99_ms": 30.0, "far_page_factor": 1.25, "pdf_factor": 1.2, "bulk_speedup": 1.7,
           "worker_peak_mb": 200.0}


# --- Settings shared by every process of the run ----------------------------------------------

def _redis_url(wanted):
    if not wanted:
        return None
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        import redis
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.flushdb()  # the bench's own database: rate-limit counters and the task queue of earlier runs
        client.close()
    except Exception:  # noqa: BLE001
        log(f"no Redis at {url}: rate limits in process memory, the task queue in a SQLite file")
        return None
    return url


def _environment(redis_url):
    """The production configuration, with the benchmark's few differences."""
    instance = dataset.bench_dir() / "instance"
    env = {
        "GOSMART_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "SESSION_COOKIE_SECURE": "0",  # the loopback client speaks http and must send the cookie back
        "VERIFY_RATE_LIMIT": "1000000000 per minute",  # the verification page is measured, not limited
        "EXTERNAL_BASE_URL": "http://127.0.0.1:8000",
        "MAIL_TRANSPORT": "outbox",
        "GOSMART_INSTANCE_DIR": str(instance),
        "WEB_CONCURRENCY": str(WORKERS),
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env["ALLOW_MEMORY_RATELIMIT"] = "1"
        env["HUEY_SQLITE"] = str(instance / "tasks.db")
    os.environ.update(env)
    instance.mkdir(parents=True, exist_ok=True)
    return env


# --- gunicorn ----------------------------------------------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_settings():
    """The same for the bare app and gosmart: the project's gunicorn.conf.py if there is one."""
    config = ROOT / "gunicorn.conf.py"
    args = ["--config", str(config)] if config.exists() else []
    return args + ["--workers", str(WORKERS)], (config.name if config.exists() else "gunicorn defaults")


class Server:
    """gunicorn serving `app`, with a sampler of its workers' memory."""

    def __init__(self, app, env, name):
        self.app, self.env, self.name = app, env, name
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.peaks = {}  # worker pid -> peak RSS in MB (VmHWM), over every worker this server had
        self._stop = threading.Event()

    def __enter__(self):
        settings, _ = gunicorn_settings()
        env = dict(os.environ, **self.env, BIND=f"127.0.0.1:{self.port}")
        self.log_path = dataset.bench_dir() / f"gunicorn-{self.name}.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen([str(BIN / "gunicorn"), *settings, "--bind", f"127.0.0.1:{self.port}",
                                         self.app], cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn for {self.name} stopped; see {self.log_path}")
            try:
                urllib.request.urlopen(self.base + "/", timeout=5).read()
            except urllib.error.HTTPError:
                pass
            except OSError:
                time.sleep(0.3)
                continue
            if len(self.workers()) >= WORKERS:
                break
            time.sleep(0.3)
        else:
            raise RuntimeError(f"gunicorn for {self.name} did not answer; see {self.log_path}")
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()

    def drain(self):
        """Wait until the workers have answered what is queued (a static file comes after the backlog)."""
        urllib.request.urlopen(self.base + "/static/favicon.svg", timeout=900).read()

    def cpu_seconds(self):
        """CPU time of the server: the master, its live workers, and the workers it has reaped."""
        total = 0.0
        for pid in [self.process.pid, *self.workers()]:
            total += _cpu_seconds(pid, children=pid == self.process.pid)
        return total

    def workers(self):
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return pids

    def _sample(self):
        while not self._stop.wait(0.25):
            self.sample()

    def sample(self):
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                self.peaks[pid] = max(self.peaks.get(pid, 0), int(match.group(1)) / 1024)

    def peak_mb(self):
        self.sample()
        return max(self.peaks.values(), default=0.0)


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid, children=False):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return ticks / TICKS


def postgres_cpu_seconds(database):
    """CPU time of the PostgreSQL backends serving `database` (their process title names it)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {database} " in title:
                total += _cpu_seconds(int(entry.name))
    return total


def measured(server, target, args, database=None):
    """One run under load, with the CPU the server (and PostgreSQL's backends) spent per request."""
    cpu, db_cpu = server.cpu_seconds(), postgres_cpu_seconds(database) if database else 0.0
    result = load.run(target, args.duration, args.connections, generator=args.generator)
    cpu, db_cpu = server.cpu_seconds() - cpu, (postgres_cpu_seconds(database) - db_cpu) if database else 0.0
    n = max(result.requests, 1)
    return result, {"cpu_ms_per_request": round(cpu * 1000 / n, 2),
                    "db_cpu_ms_per_request": round(db_cpu * 1000 / n, 2) if database else None}


# --- Sessions: a real login, its cookie and CSRF token ---------------------------------------

class Session:
    def __init__(self, base):
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [("User-Agent", load.USER_AGENT)]
        self.csrf = None

    def get(self, path, **headers):
        request = urllib.request.Request(self.base + path, headers=headers)
        with self.opener.open(request, timeout=900) as response:
            return response.status, response.read().decode()

    def login(self, email, password):
        _status, page = self.get("/login")
        token = _csrf(page)
        data = urlencode({"email": email, "password": password, "csrf_token": token}).encode()
        with self.opener.open(self.base + "/login", data, timeout=60) as response:
            page = response.read().decode()
            if "/login" in response.url:
                raise RuntimeError(f"login as {email} failed")
        self.csrf = _csrf(page)
        return self

    def headers(self, **extra):
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        headers = {"User-Agent": load.USER_AGENT}
        if cookie:
            headers["Cookie"] = cookie
        headers.update(extra)
        return headers


def _csrf(page):
    match = CSRF.search(page)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1) or match.group(2)


def far_page(session, path, pages):
    """Follow the directory's keyset cursor (the "Next" link) to page `pages` (or the last page),
    reading only the result fragments (as htmx does) on the way."""
    page = 1
    _status, body = session.get(path, **{"HX-Request": "true"})
    while page < pages:
        match = NEXT.search(body)
        if not match:
            break
        path = html.unescape(match.group(1))
        _status, body = session.get(path, **{"HX-Request": "true"})
        page += 1
    return path, page


# --- The dataset between runs: what the load wrote is taken back out ---------------------------

def restore(url, facts):
    """Undo the check-ins, scans, audit entries, certificates and bulk jobs of earlier runs."""
    from sqlalchemy import create_engine, text
    counts = facts["counts"]
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE registrations SET checked_in_at = NULL, checked_in_station = NULL, "
                                "checked_in_by_id = NULL WHERE assembly_id = :a AND checked_in_at IS NOT NULL"),
                           {"a": facts["largest_assembly"]})
        connection.execute(text("DELETE FROM checkin_scans WHERE id > :n"), {"n": counts["checkins"]})
        connection.execute(text("DELETE FROM certificates WHERE id > :n"), {"n": counts["certificates"]})
        connection.execute(text("DELETE FROM certificate_bulk_jobs"))
        connection.execute(text("DELETE FROM audit_entries WHERE id > :n"), {"n": counts["audit_entries"]})
    engine.dispose()


def door_tokens(url, facts, path):
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as connection:
        tokens = connection.execute(text(
            "SELECT checkin_token FROM registrations WHERE assembly_id = :a AND state = 'confirmed' "
            "AND checked_in_at IS NULL ORDER BY id"), {"a": facts["largest_assembly"]}).scalars().all()
    engine.dispose()
    random.Random(1).shuffle(tokens)
    path.write_text("\n".join(tokens) + "\n")
    return tokens


# --- One database: the bare app, then every endpoint -----------------------------------------

def endpoints(facts, far_path):
    a = facts["largest_assembly"]
    return [
        # name, who, path
        ("directory page 1", "representative", "/directory/"),
        ("directory search", "representative", "/directory/?q=smart"),
        ("directory far page", "representative", far_path),
        ("organization profile", "representative", f"/directory/{facts['profile_organization']}"),
        ("registrations, filtered", "secretariat", f"/assemblies/{a}/registrations?state=confirmed"),
        ("audit page 1", "secretariat", "/secretariat/audit"),
        ("audit, filtered", "secretariat", f"/secretariat/audit?who={quote(facts['audit_who'])}"),
        ("check-in POST", "door", f"/checkin/{a}/scan"),
        ("verification", None, f"/verify/{facts['verification_code']}"),
    ]


def measure_bare(env, args, kind):
    with Server("bench.bare:app", env, f"bare-{kind}") as server:
        target = load.Target(server.base + "/", {"User-Agent": load.USER_AGENT})
        if args.warmup:
            load.run(target, args.warmup, args.connections, generator=args.generator)
        result, cpu = measured(server, target, args)
        return result, cpu, server.peak_mb()


def run_database(kind, args, env, results):
    url, facts = dataset.ensure(kind, args.scale, rebuild=args.rebuild)
    results["datasets"][kind] = {k: facts[k] for k in ("build_seconds", "phase_seconds", "counts", "built_at",
                                                       "reused", "minutes_note")}
    restore(url, facts)
    db_env = dict(env, DATABASE_URL=url)
    bare_before, bare_cpu, bare_peak = measure_bare(db_env, args, kind)
    log(f"{kind}: bare Flask {bare_before.rps:.0f} req/s")
    rows = []
    try:
        with Server("wsgi:app", db_env, f"gosmart-{kind}") as server:
            sessions = {"representative": Session(server.base).login(facts["representative"], facts["password"]),
                        "secretariat": Session(server.base).login(facts["secretariat"], facts["password"]),
                        "door": Session(server.base).login(facts["door"], facts["password"]),
                        None: Session(server.base)}
            far_path, far_number = far_page(sessions["representative"], "/directory/", args.far_page)
            log(f"{kind}: directory page {far_number} is {far_path[:60]}…")
            tokens_path = dataset.bench_dir() / f"tokens-{kind}.txt"
            tokens = door_tokens(url, facts, tokens_path)
            warm_tokens, tokens_path_load = tokens[:min(20, len(tokens) // 4)], tokens_path.with_suffix(".load.txt")
            tokens_path_load.write_text("\n".join(tokens[20:]) + "\n")
            for name, who, path in endpoints(facts, far_path):
                session = sessions[who]
                if name == "check-in POST":
                    door = sessions["door"]
                    _status, page = door.get(f"/checkin/{facts['largest_assembly']}")
                    csrf = _csrf(page)
                    for n, token in enumerate(warm_tokens):  # warm-up, and a check that a scan is answered
                        body = urlencode({"client_id": f"warm-{n}-{secrets.token_hex(4)}", "token": token,
                                          "csrf_token": csrf}).encode()
                        request = urllib.request.Request(server.base + path, body,
                                                         headers=door.headers(Accept="application/json"))
                        with door.opener.open(request, timeout=60) as response:
                            size = len(response.read())
                    target = load.Target(server.base + path, door.headers(Accept="application/json"),
                                         tokens_file=tokens_path_load, csrf=csrf, run_id=secrets.token_hex(4))
                else:
                    status, page = session.get(path)
                    size = len(page.encode())
                    if status != 200:
                        raise RuntimeError(f"{name}: {status}")
                    target = load.Target(server.base + path, session.headers())
                    if args.warmup:
                        load.run(target, args.warmup, args.connections, generator=args.generator)
                server.drain()
                server.peaks.clear()
                result, cpu = measured(server, target, args,
                                       make_url(url).database if kind == "postgresql" else None)
                server.drain()  # requests still queued when the load stopped are answered before the next endpoint
                row = dict(endpoint=name, database=kind, path=path, bytes=size, **result.as_dict(), **cpu,
                           ratio_to_bare=None, worker_peak_mb=round(server.peak_mb(), 1))
                if name == "check-in POST":
                    row["fresh_tickets"] = len(tokens) - len(warm_tokens)
                rows.append(row)
                log(f"{kind}: {name}: {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
                    f"errors {result.errors}, peak RSS {row['worker_peak_mb']:.0f} MB")
            app_peaks = dict(server.peaks)
    finally:
        restore(url, facts)
    bare_after, bare_cpu_after, bare_peak_after = measure_bare(db_env, args, kind)
    bare_rps = (bare_before.rps + bare_after.rps) / 2
    log(f"{kind}: bare Flask again {bare_after.rps:.0f} req/s; mean {bare_rps:.0f}")
    for row in rows:
        row["ratio_to_bare"] = round(row["rps"] / bare_rps, 3) if bare_rps else None
    bare_cpu_ms = (bare_cpu["cpu_ms_per_request"] + bare_cpu_after["cpu_ms_per_request"]) / 2
    for row in rows:
        row["cpu_ratio_to_bare"] = round(bare_cpu_ms / row["cpu_ms_per_request"], 3) if row["cpu_ms_per_request"] else None
    results["bare"][kind] = {"before": bare_before.as_dict(), "after": bare_after.as_dict(), "rps": round(bare_rps, 1),
                             "cpu_ms_per_request": round(bare_cpu_ms, 3),
                             "worker_peak_mb": round(max(bare_peak, bare_peak_after), 1)}
    results["endpoints"] += rows
    results["memory"][kind] = {"gosmart_worker_peak_mb": round(max(r["worker_peak_mb"] for r in rows), 1),
                               "bare_worker_peak_mb": round(max(bare_peak, bare_peak_after), 1)}
    return url, facts


# --- PDFs ---------------------------------------------------------------------------------------

def _app_for(url):
    from config import ProductionConfig
    from gosmart import create_app

    class BenchConfig(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(BenchConfig)


def pdf_single(url, repeats):
    """One certificate through gosmart.certificates.services.render and the same HTML through WeasyPrint alone."""
    from datetime import date

    from weasyprint import HTML

    from gosmart.certificates import services

    app = _app_for(url)
    with app.app_context():
        holder = services.Holder("registration", 1, "Taipei City", "臺北市政府",
                                 "GO SMART General Assembly, Taipei, 2019-06-19")
        code = "B" * 32
        args = ("attendance", holder, "GS-CERT-2019-000001", code, date(2019, 6, 19))
        page = services.certificate_html(*args)
        services.render(*args)  # fonts and caches warm up on the first render
        HTML(string=page).write_pdf()
        times = {"app": [], "alone": [], "app_cpu": [], "alone_cpu": []}
        for i in range(repeats):
            for which in (("app", "alone") if i % 2 == 0 else ("alone", "app")):  # alternate: drift hits both
                started, cpu = time.perf_counter(), time.process_time()
                if which == "app":
                    services.render(*args)
                else:
                    HTML(string=page).write_pdf()
                times[which].append(time.perf_counter() - started)
                times[which + "_cpu"].append(time.process_time() - cpu)
    ms = {k: statistics.median(v) * 1000 for k, v in times.items()}
    return {"repeats": repeats, "app_median_ms": round(ms["app"], 1), "weasyprint_median_ms": round(ms["alone"], 1),
            "factor": round(ms["app"] / ms["alone"], 3), "app_cpu_median_ms": round(ms["app_cpu"], 1),
            "weasyprint_cpu_median_ms": round(ms["alone_cpu"], 1),
            "cpu_factor": round(ms["app_cpu"] / ms["alone_cpu"], 3)}


def pdf_bulk(url, facts, env, consumer_args, label):
    """The bulk job of the assembly with `attendees` check-ins, timed from the click to the ZIP."""
    from sqlalchemy import select

    from gosmart.assemblies.models import Assembly
    from gosmart.auth.models import User
    from gosmart.certificates.models import BulkJob
    from gosmart.checkin import attendance
    from gosmart.extensions import db
    from gosmart.tasks import huey

    restore(url, facts)
    huey.flush()
    children_cpu = _children_cpu()
    log_path = dataset.bench_dir() / f"huey-{label}.log"
    with open(log_path, "w") as consumer_log:
        consumer = subprocess.Popen([str(BIN / "huey_consumer"), "gosmart.worker.huey", *consumer_args], cwd=ROOT,
                                    env=dict(os.environ, **env, DATABASE_URL=url), stdout=consumer_log,
                                    stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            while "consumer started" not in log_path.read_text().lower():  # imports done, workers waiting
                if consumer.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"huey consumer did not start; see {log_path}")
                time.sleep(0.2)
            time.sleep(1)
            app = _app_for(url)
            with app.app_context():
                assembly = db.session.get(Assembly, facts["certified_assembly"])
                actor = db.session.scalar(select(User).where(User.email == facts["secretariat"]))
                started = time.perf_counter()
                job = attendance.start_bulk(assembly, actor)
                job_id, total = job.id, job.total
                while True:
                    db.session.expire_all()
                    job = db.session.get(BulkJob, job_id)
                    if job.state in ("done", "failed"):
                        break
                    if time.perf_counter() - started > 3600:
                        raise RuntimeError("bulk job did not finish within an hour")
                    time.sleep(0.2)
                seconds = time.perf_counter() - started
                state = job.state
                db.session.remove()
                db.engine.dispose()
        finally:
            consumer.send_signal(signal.SIGINT)
            try:
                consumer.wait(timeout=60)
            except subprocess.TimeoutExpired:
                consumer.kill()
                consumer.wait()
    consumer_cpu = _children_cpu() - children_cpu  # the consumer and its worker processes, start-up included
    restore(url, facts)
    if state != "done":
        raise RuntimeError(f"bulk job {state}; see {log_path}")
    log(f"bulk, {label}: {total} certificates in {seconds:.1f} s ({total / seconds:.1f} per second)")
    return {"workers": label, "consumer": "huey_consumer gosmart.worker.huey " + " ".join(consumer_args),
            "certificates": total, "seconds": round(seconds, 2), "per_second": round(total / seconds, 2),
            "consumer_cpu_seconds": round(consumer_cpu, 1)}


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- The report -------------------------------------------------------------------------------

def evaluate(results):
    checks = []
    rows = results["endpoints"]
    for row in rows:
        checks.append(dict(target=f"≥ {TARGETS['ratio_to_bare']:.0%} of bare, no errors", subject=f"{row['endpoint']} ({row['database']})",
                           value=f"{row['ratio_to_bare']:.0%}, {row['errors']} errors",
                           met=row["ratio_to_bare"] >= TARGETS["ratio_to_bare"] and row["errors"] == 0))
        checks.append(dict(target=f"p99 ≤ {TARGETS['p99_ms']:.0f} ms", subject=f"{row['endpoint']} ({row['database']})",
                           value=f"{row['p99_ms']:.1f} ms", met=row["p99_ms"] <= TARGETS["p99_ms"]))
    for kind in results["bare"]:
        by = {r["endpoint"]: r for r in rows if r["database"] == kind}
        for far, first in (("directory far page", "directory page 1"), ("audit, filtered", "audit page 1")):
            if far in by and first in by and by[far]["rps"]:
                factor = by[first]["rps"] / by[far]["rps"]
                checks.append(dict(target=f"within {TARGETS['far_page_factor']}× of page 1", subject=f"{far} ({kind})",
                                   value=f"{factor:.2f}×", met=factor <= TARGETS["far_page_factor"]))
        peak = results["memory"][kind]["gosmart_worker_peak_mb"]
        checks.append(dict(target=f"worker peak RSS < {TARGETS['worker_peak_mb']:.0f} MB", subject=f"gosmart ({kind})",
                           value=f"{peak:.0f} MB", met=peak < TARGETS["worker_peak_mb"]))
    if results.get("pdf"):
        factor = results["pdf"]["factor"]
        checks.append(dict(target=f"certificate within {TARGETS['pdf_factor']}× of WeasyPrint alone", subject="PDF",
                           value=f"{factor:.2f}×", met=factor <= TARGETS["pdf_factor"]))
    for kind, runs in results.get("bulk", {}).items():
        if len(runs) == 2:
            speedup = runs[0]["seconds"] / runs[1]["seconds"]
            runs.append({"speedup": round(speedup, 2)})
            checks.append(dict(target=f"bulk: 2 workers ≥ {TARGETS['bulk_speedup']}× faster than 1", subject=f"bulk ({kind})",
                               value=f"{speedup:.2f}×", met=speedup >= TARGETS["bulk_speedup"]))
    return checks


def print_table(results):
    print()
    print(f"{'endpoint':<26}{'db':<12}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'/bare':>8}"
          f"{'CPU ms':>8}{'DB ms':>7}{'peak MB':>9}")
    for kind, bare in results["bare"].items():
        print(f"{'bare Flask':<26}{kind:<12}{bare['rps']:>8.0f}{bare['before']['p50_ms']:>9.1f}"
              f"{bare['before']['p99_ms']:>9.1f}{bare['before']['errors'] + bare['after']['errors']:>8}"
              f"{'100%':>8}{bare['cpu_ms_per_request']:>8.2f}{'':>7}{bare['worker_peak_mb']:>9.0f}")
    for row in sorted(results["endpoints"], key=lambda r: r["database"] != "sqlite"):
        db_ms = "" if row.get("db_cpu_ms_per_request") is None else f"{row['db_cpu_ms_per_request']:.2f}"
        print(f"{row['endpoint']:<26}{row['database']:<12}{row['rps']:>8.0f}{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}"
              f"{row['errors']:>8}{row['ratio_to_bare']:>8.0%}{row['cpu_ms_per_request']:>8.2f}{db_ms:>7}"
              f"{row['worker_peak_mb']:>9.0f}")
    print("(CPU ms: the gunicorn workers' CPU time per request; DB ms: PostgreSQL's backends')")
    if results.get("pdf"):
        p = results["pdf"]
        print(f"\ncertificate PDF: through the app {p['app_median_ms']:.0f} ms, WeasyPrint alone "
              f"{p['weasyprint_median_ms']:.0f} ms (median of {p['repeats']}): {p['factor']:.2f}×; CPU "
              f"{p['app_cpu_median_ms']:.0f} ms against {p['weasyprint_cpu_median_ms']:.0f} ms: {p['cpu_factor']:.2f}×")
    for kind, runs in results.get("bulk", {}).items():
        for run in runs:
            if "seconds" in run:
                print(f"bulk ({kind}), {run['workers']}: {run['certificates']} certificates in {run['seconds']:.1f} s "
                      f"(the consumer's CPU: {run['consumer_cpu_seconds']:.0f} s)")
            else:
                print(f"bulk ({kind}): 2 workers are {run['speedup']:.2f}× faster than 1")
    for kind, d in results["datasets"].items():
        state = "reused" if d["reused"] else "built"
        print(f"dataset ({kind}): {state}; building took {d['build_seconds']:.0f} s")
    print("\ntargets:")
    for check in results["targets"]:
        print(f"  [{'met' if check['met'] else 'MISSED'}] {check['target']}: {check['subject']}: {check['value']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(dataset.SCALES), default="full")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=1, help="seconds of load before each measured run")
    parser.add_argument("--far-page", type=int, default=200)
    parser.add_argument("--pdf-repeats", type=int, default=15)
    parser.add_argument("--bulk-databases", default="postgresql",
                        help="databases on which to time the bulk job ('' for none)")
    parser.add_argument("--no-redis", action="store_true", help="rate limits in memory, tasks in a SQLite file")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--rebuild", action="store_true", help="build the dataset even if it exists")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)

    env = _environment(_redis_url(not args.no_redis))
    settings, config_name = gunicorn_settings()
    results = {
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_start": os.getloadavg()},
        "settings": {"scale": args.scale, "duration_s": args.duration, "connections": args.connections,
                     "generator": ("wrk" if load.have_wrk() else "python") if args.generator == "auto" else args.generator,
                     "gunicorn": f"{config_name}, {WORKERS} workers", "redis": env.get("REDIS_URL"),
                     "verify_rate_limit": env["VERIFY_RATE_LIMIT"]},
        "datasets": {}, "bare": {}, "endpoints": [], "memory": {}, "bulk": {},
    }
    urls = {}
    for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
        problem = dataset.postgres_reachable() if kind == "postgresql" else None
        if problem:
            log(f"PostgreSQL SKIPPED: cannot connect to {dataset.postgres_base_url()} ({problem}); "
                "set BENCH_POSTGRES_URL to a server where the user may create databases")
            results["skipped"] = {kind: problem}
            continue
        urls[kind] = run_database(kind, args, env, results)
    pdf_kind = "postgresql" if "postgresql" in urls else next(iter(urls))
    results["pdf"] = pdf_single(urls[pdf_kind][0], args.pdf_repeats)
    for kind in [k.strip() for k in args.bulk_databases.split(",") if k.strip() in urls]:
        url, facts = urls[kind]
        results["bulk"][kind] = [pdf_bulk(url, facts, env, ["-w", "1"], f"1 worker ({kind})"),
                                 pdf_bulk(url, facts, env, ["-w", "2", "-k", "process"], f"2 worker processes ({kind})")]
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["targets"] = evaluate(results)
    Path(args.out).write_text(json.dumps(results, indent=1, ensure_ascii=False))
    print_table(results)
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

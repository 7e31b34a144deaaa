"""Load from loopback: wrk (Debian's, C, light on the two cores it shares with the server) when it
is installed, else a small Python generator (threads, one keep-alive connection each).

Both give the same figures: requests/s, p50/p90/p99 latency, and errors, where an error is any
answer other than 200 or any failed connection, read, write or timeout."""
import http.client
import json
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
USER_AGENT = "gosmart-bench/1"  # the same in the login and in the load (Flask-Login's session protection)


@dataclass
class Result:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    generator: str
    checked_in: int | None = None
    tickets_reused: int | None = None
    error_detail: dict = field(default_factory=dict)

    @property
    def rps(self):
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self):
        return dict(asdict(self), rps=round(self.rps, 1))


@dataclass
class Target:
    """One endpoint under load: a GET, or the check-in POST with one ticket per request."""
    url: str
    headers: dict
    tokens_file: Path | None = None
    csrf: str | None = None
    run_id: str = "bench"


def have_wrk():
    return shutil.which("wrk") is not None


def run(target, seconds, connections, threads=2, generator="auto"):
    if generator == "auto":
        generator = "wrk" if have_wrk() else "python"
    if generator == "wrk":
        return _run_wrk(target, seconds, connections, threads)
    return _run_python(target, seconds, connections)


def _run_wrk(target, seconds, connections, threads):
    threads = max(1, min(threads, connections))
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s",
               "-s", str(HERE / "wrk.lua")]
    for name, value in target.headers.items():
        command += ["-H", f"{name}: {value}"]
    command += [target.url, "--"]
    if target.tokens_file:
        command += ["checkin", str(target.tokens_file), target.csrf, target.run_id, str(threads)]
    else:
        command += ["get"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK_JSON "))
    w = json.loads(line[len("WRK_JSON "):])
    detail = {k: w[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts", "not_200") if w[k]}
    errors = w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"] + w["not_200"]
    return Result(requests=w["requests"], seconds=w["duration_us"] / 1e6, errors=errors,
                  p50_ms=w["p50_us"] / 1000, p90_ms=w["p90_us"] / 1000, p99_ms=w["p99_us"] / 1000,
                  max_ms=w["max_us"] / 1000, generator="wrk",
                  checked_in=w["checked_in"] if target.tokens_file else None,
                  tickets_reused=w["tickets_reused"] if target.tokens_file else None, error_detail=detail)


def _run_python(target, seconds, connections):
    parts = urlsplit(target.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    tokens = iter(target.tokens_file.read_text().split()) if target.tokens_file else None
    lock = threading.Lock()
    latencies, errors, checked_in = [], {}, [0]
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds

    def body():
        with lock:
            token = next(tokens, None)
            n = next(counter)
        if token is None:
            return None
        return f"client_id={target.run_id}-py-{n}&token={token}&csrf_token={target.csrf}"

    def worker():
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        mine = []
        while time.perf_counter() < deadline:
            headers = dict(target.headers)
            payload = None
            if tokens is not None:
                payload = body()
                if payload is None:
                    break
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            started = time.perf_counter()
            try:
                connection.request("POST" if payload else "GET", path, body=payload, headers=headers)
                response = connection.getresponse()
                data = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
            mine.append(time.perf_counter() - started)
            if status != 200:
                with lock:
                    errors[str(status)] = errors.get(str(status), 0) + 1
            elif payload and b'"verdict":"checked_in"' in data:
                with lock:
                    checked_in[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else 0.0

    return Result(requests=len(latencies), seconds=elapsed, errors=sum(errors.values()), p50_ms=pct(50),
                  p90_ms=pct(90), p99_ms=pct(99), max_ms=latencies[-1] * 1000 if latencies else 0.0,
                  generator="python", checked_in=checked_in[0] if tokens is not None else None,
                  error_detail=errors)


def median(values):
    return statistics.median(values) if values else 0.0

"""`make bench` end to end on a tiny dataset (SQLite, a second of load per endpoint), so that
the benchmark cannot rot. It asserts that every endpoint answered without an error, not how fast."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = {"directory page 1", "directory search", "directory far page", "organization profile",
             "registrations, filtered", "audit page 1", "audit, filtered", "check-in POST", "verification"}


def test_the_benchmark_runs_end_to_end_on_a_tiny_dataset_and_every_endpoint_answers(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL", "GOSMART_ENV", "SECRET_KEY")}
    env["BENCH_DIR"] = str(tmp_path)  # its own dataset, server logs and instance folder
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench.run", "--scale", "tiny", "--databases", "sqlite", "--duration", "1",
         "--warmup", "0", "--pdf-repeats", "1", "--bulk-databases", "", "--no-redis", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    results = json.loads(out.read_text())

    assert {row["endpoint"] for row in results["endpoints"]} == ENDPOINTS
    for row in results["endpoints"]:
        assert row["requests"] > 0 and row["errors"] == 0, row
    checkin = next(row for row in results["endpoints"] if row["endpoint"] == "check-in POST")
    assert checkin["checked_in"] > 0  # the scans checked people in (a different ticket each)
    assert results["bare"]["sqlite"]["rps"] > 0
    assert results["datasets"]["sqlite"]["counts"]["audit_entries"] == 1000
    assert results["pdf"]["app_median_ms"] > 0 and results["pdf"]["weasyprint_median_ms"] > 0
    assert results["targets"] and "ratio_to_bare" in results["endpoints"][0]

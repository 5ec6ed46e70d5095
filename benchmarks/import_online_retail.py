#!/usr/bin/env python
"""Full-year Online Retail import benchmark, on PostgreSQL and on SQLite.

For each backend: a fresh database (PostgreSQL: dropped and re-created;
SQLite: a new file), ``migrate``, then ``manage.py import_online_retail`` as a
subprocess (the real command, no progress bar), then ``inventory_check``.
Prints and records wall time, CPU time of the import process, lines/s, and
whether the net sales total equals the file's Σ quantity × unit price.
Celery runs eagerly (no ``REDIS_URL``) so both backends do the same work.

Usage:

    .venv/bin/python benchmarks/import_online_retail.py                  # both backends, full year
    .venv/bin/python benchmarks/import_online_retail.py --backend postgres --until 2011-01-31
    .venv/bin/python benchmarks/import_online_retail.py --path storekeep/importers/data/online_retail_sample.csv.gz

PostgreSQL: ``--pg-url`` (default postgres://postgres@127.0.0.1:5432/sk_import_bench;
the database is dropped and re-created). Results are appended to
``benchmarks/import_online_retail_results.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULTS = Path(__file__).with_name("import_online_retail_results.md")
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/sk_import_bench"
SUMMARY_RE = re.compile(
    r"rows read (?P<rows>\d+);.*lines imported (?P<lines>\d+).*elapsed (?P<elapsed>[\d.]+)s, "
    r"(?P<rate>\d+) lines/s; .*net sales total £(?P<net>[\d,.-]+) \(file: £(?P<file>[\d,.-]+)\)"
)


def recreate_pg(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


class PostgresCpu:
    """CPU seconds used by the PostgreSQL backends serving one database (polled from /proc)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = url.rsplit("/", 1)[1].split("?")[0]
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        import psycopg

        tick = os.sysconf("SC_CLK_TCK")
        admin = self.url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            while not self.stop.wait(1.0):
                pids = [
                    r[0]
                    for r in conn.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.name]
                    )
                ]
                for pid in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / tick

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def manage(env: dict, *args: str, capture: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=capture,
        check=False,
    )


def run_backend(backend: str, args) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["STOREKEEP_LOG_LEVEL"] = "ERROR"
    tmp = None
    if backend == "postgres":
        recreate_pg(args.pg_url)
        env["DATABASE_URL"] = args.pg_url
    else:
        tmp = tempfile.TemporaryDirectory(prefix="sk_import_bench_")
        env["STOREKEEP_SQLITE_PATH"] = str(Path(tmp.name) / "bench.sqlite3")
        env["STOREKEEP_DATA_DIR"] = tmp.name
    try:
        migrate = manage(env, "migrate", "--noinput", "-v0")
        if migrate.returncode:
            raise SystemExit(f"{backend}: migrate failed\n{migrate.stderr}")
        command = ["import_online_retail", "--tenant", "bench", "--no-progress"]
        if args.path:
            command.insert(1, args.path)
        if args.until:
            command += ["--until", args.until]
        if args.limit_rows:
            command += ["--limit-rows", str(args.limit_rows)]
        load_before = os.getloadavg()[0]
        cpu_before = child_cpu()
        started = time.monotonic()
        if backend == "postgres":
            with PostgresCpu(args.pg_url) as server:
                result = manage(env, *command)
            server_cpu = server.seconds
        else:
            result = manage(env, *command)
            server_cpu = None
        wall = time.monotonic() - started
        cpu = child_cpu() - cpu_before
        load_after = os.getloadavg()[0]
        if result.returncode:
            raise SystemExit(f"{backend}: import failed\n{result.stdout}\n{result.stderr[-4000:]}")
        summary = result.stdout.strip().splitlines()[-1]
        match = SUMMARY_RE.search(summary)
        check = manage(env, "inventory_check", "--tenant", "bench")
        return {
            "backend": backend,
            "wall": wall,
            "cpu": cpu,
            "server_cpu": server_cpu,
            "rows": int(match["rows"]) if match else None,
            "lines": int(match["lines"]) if match else None,
            "rate": int(match["rate"]) if match else None,
            "net": match["net"] if match else None,
            "file": match["file"] if match else None,
            "books_balance": bool(match) and match["net"] == match["file"],
            "inventory_check": check.returncode == 0,
            "load": (load_before, load_after),
            "summary": summary,
        }
    finally:
        if tmp is not None:
            tmp.cleanup()


BASELINE_CODE = """
import time
from pathlib import Path
from django.conf import settings
from storekeep.importers.online_retail.plan import read_invoices
from storekeep.importers.online_retail.replay import SAMPLE_PATH
path = {path!r} or settings.BASE_DIR.parent / "shared/data/online_retail.csv.gz"
path = path if Path(path).exists() else SAMPLE_PATH
started = time.monotonic()
invoices = sum(1 for _ in read_invoices(path, limit_rows={limit!r}))
print(f"BASELINE {{time.monotonic() - started:.3f}} {{invoices}}")
"""


def baseline_seconds(args) -> float:
    """The floor any importer pays, measured in the same run: stream, parse and group the
    file into time-ordered invoices, with no database (the ratio's denominator)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = manage(env, "shell", "-c", BASELINE_CODE.format(path=args.path, limit=args.limit_rows))
    if result.returncode:
        raise SystemExit(f"baseline failed\n{result.stderr[-2000:]}")
    line = next(line for line in result.stdout.splitlines() if line.startswith("BASELINE "))
    return float(line.split()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument(
        "--path", help="CSV file (default: the command's default, the shared full year)"
    )
    parser.add_argument("--until", help="only rows dated on or before YYYY-MM-DD")
    parser.add_argument("--limit-rows", type=int)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument(
        "--no-record", action="store_true", help="do not append to the results file"
    )
    args = parser.parse_args()
    backends = ["postgres", "sqlite"] if args.backend == "both" else [args.backend]
    base = baseline_seconds(args)
    print(
        f"== baseline: streaming, parsing and grouping the file (no database) takes {base:.1f}s",
        flush=True,
    )
    results = []
    for backend in backends:
        print(f"== {backend}: importing …", flush=True)
        outcome = run_backend(backend, args)
        results.append(outcome)
        server = outcome["server_cpu"]
        server_text = f" + {server:.1f}s (PostgreSQL backend)" if server else ""
        print(
            f"{backend}: {outcome['wall']:.1f}s wall, {outcome['cpu']:.1f}s CPU (import process)"
            f"{server_text}, {outcome['lines']} lines, "
            f"{outcome['lines'] / outcome['wall']:.0f} lines/s wall, {outcome['wall'] / base:.1f}x the baseline; "
            f"books balance: {outcome['books_balance']}; inventory_check: {outcome['inventory_check']}; "
            f"load average {outcome['load'][0]:.1f} → {outcome['load'][1]:.1f}",
            flush=True,
        )
        print(f"   {outcome['summary']}", flush=True)
    if not args.no_record:
        scope = args.path or "full year (../shared/data/online_retail.csv.gz)"
        if args.until or args.limit_rows:
            scope += f" until={args.until} limit_rows={args.limit_rows}"
        lines = [
            f"\n## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {scope}\n",
            f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}. "
            f"Baseline (stream, parse and group the file, no database): {base:.1f} s.\n",
            "| backend | wall | CPU (import process) | CPU (PostgreSQL backend) | lines | lines/s (wall) | "
            "net sales = file | inventory_check | load avg before → after |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in results:
            server = f"{r['server_cpu']:.1f} s" if r["server_cpu"] else "—"
            lines.append(
                f"| {r['backend']} | {r['wall']:.1f} s | {r['cpu']:.1f} s | {server} | {r['lines']:,} | "
                f"{r['lines'] / r['wall']:.0f} | {'yes' if r['books_balance'] else 'NO'} (£{r['net']}) | "
                f"{'OK' if r['inventory_check'] else 'FAILED'} | {r['load'][0]:.1f} → {r['load'][1]:.1f} |"
            )
        with RESULTS.open("a", encoding="utf-8") as handle:
            if handle.tell() == 0:
                handle.write(
                    "# Online Retail import benchmark results\n\n"
                    "Appended by `benchmarks/import_online_retail.py`. The machine is shared: "
                    "the load average tells how many other processes competed for its cores.\n"
                )
            handle.write("\n".join(lines) + "\n")
        print(f"recorded in {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

"""Megacity benchmarks, each measured against DuckDB's own floor (`make bench`; see benchmarks/README.md).

Every step runs as a separate process (the installed `hotline` CLI, or a floor script run with the duckdb
module); its wall time is time.perf_counter around the process, its peak memory the process's ru_maxrss from
os.wait4. Each step runs BENCH_RUNS times (default 3) from the same starting warehouse; the median is reported.

Environment: BENCH_SCALE (430), BENCH_DAYS (366 = the year; 45 is a quick run), BENCH_RUNS (3),
BENCH_FULL_RUNS (runs of the from-empty step, default BENCH_RUNS),
BENCH_DATA (where exports and warehouses go, default /tmp/hotline-bench; never the repo), BENCH_DUMPS (reuse
an existing folder of exports of benchmarks/year-spec.yaml), BENCH_NAME (results file name), BENCH_ONLY
(comma-separated subset of full,nightly,airflow,monthly,gate; a partial run keeps the other steps' results
already in the results file).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from hotline.periods import default_as_of, format_as_of, previous_month

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
HOTLINE = str(BIN / "hotline")
FLOOR = [sys.executable, str(HERE / "floors" / "run_floor.py")]
SPEC = HERE / "year-spec.yaml"

SCALE = float(os.environ.get("BENCH_SCALE", "430"))
DAYS = int(os.environ.get("BENCH_DAYS", "366"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
FULL_RUNS = int(os.environ.get("BENCH_FULL_RUNS", str(RUNS)))  # the year from empty is the longest step
DATA = Path(os.environ.get("BENCH_DATA", "/tmp/hotline-bench"))
ONLY = set(filter(None, os.environ.get("BENCH_ONLY", "full,nightly,airflow,monthly,gate").split(",")))
NAME = os.environ.get("BENCH_NAME") or f"scale{SCALE:g}-days{DAYS}"
ENV = {
    **os.environ,
    "HOTLINE_PII_KEY": os.environ.get("HOTLINE_PII_KEY", "benchmark-key-not-secret"),
    "GX_ANALYTICS_ENABLED": "false",
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one process."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=DATA)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{err[-3000:]}")
    return wall, ru.ru_maxrss / 1024


def steps(cmds: list[list[str]]) -> tuple[float, float]:
    """A step made of several processes in sequence: total wall time, largest peak."""
    out = [measure(c) for c in cmds]
    return sum(w for w, _ in out), max(m for _, m in out)


def copy_db(src: Path, dst: Path, move: bool = False) -> None:
    for suffix in ("", ".wal"):
        s, d = Path(str(src) + suffix), Path(str(dst) + suffix)
        d.unlink(missing_ok=True)
        if s.exists() and move:
            os.replace(s, d)
        elif s.exists():
            shutil.copy(s, d)


def repeat(name: str, run, floor) -> dict:
    """run() and floor() each return (wall, peak); both RUNS times, alternating. The floor goes first and its
    scratch warehouse is deleted at once: ours is left behind (the monthly step keeps it) and a year's run never
    holds two scratch copies of a 15 GB warehouse."""
    ours, base = [], []
    for i in range(RUNS):
        base.append(floor())
        copy_db(DATA / "nonexistent", DATA / "floor.duckdb")
        ours.append(run())
        log(
            f"{name} run {i + 1}/{RUNS}: {ours[-1][0]:.1f} s / {ours[-1][1]:.0f} MiB; "
            f"floor {base[-1][0]:.1f} s / {base[-1][1]:.0f} MiB"
        )
    med = lambda xs, k: statistics.median(x[k] for x in xs)  # noqa: E731
    r = {
        "wall_s": med(ours, 0),
        "peak_mib": med(ours, 1),
        "floor_wall_s": med(base, 0),
        "floor_peak_mib": med(base, 1),
        "runs": [list(x) for x in ours],
        "floor_runs": [list(x) for x in base],
    }
    r["ratio_wall"] = r["wall_s"] / r["floor_wall_s"]
    r["ratio_peak"] = r["peak_mib"] / r["floor_peak_mib"]
    r["commit"] = commit()  # per step: a partial run (BENCH_ONLY) keeps steps measured on other code
    r["measured_on"] = dt.date.today().isoformat()  # and on another day: a shared machine's speed varies
    return r


# ------------------------------------------------------------------------------------------------------------
# data


def exports() -> tuple[Path, list[Path]]:
    """A folder with the first DAYS exports (csv + manifest) of benchmarks/year-spec.yaml at SCALE."""
    folder = DATA / f"dumps-{NAME}"
    src = Path(os.environ["BENCH_DUMPS"]) if os.environ.get("BENCH_DUMPS") else DATA / f"exports-scale{SCALE:g}"
    have = sorted(src.glob("hotline_*.csv")) if src.exists() else []
    if len(have) < DAYS:
        log(f"generating {DAYS} export days at scale {SCALE:g} into {src} (streaming)")
        sys.path.insert(0, str(REPO / "include"))
        from hotline.generate import generate

        generate(spec_path=SPEC, out_dir=src, scale=SCALE, days=DAYS)
        have = sorted(src.glob("hotline_*.csv"))
    csvs = have[:DAYS]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for c in csvs:
        for f in (c, c.with_name(c.stem + ".manifest.json")):
            link(f, folder / f.name)
    return folder, [folder / c.name for c in csvs]


def link(src: Path, dst: Path) -> None:
    """``dst`` as a hard link to the export ``src`` (no copy of its bytes): the loader does not follow symbolic
    links out of a dumps folder, by design."""
    os.link(src.resolve(), dst)


def day_of(csv: Path) -> dt.date:
    s = csv.stem.split("_")[1]
    return dt.date(int(s[:4]), int(s[4:6]), int(s[6:]))


def publication_period(last_day: dt.date) -> tuple[str, str]:
    """The latest month whose default cut-off (the 12th of the next month, 10:00) is within the exports."""
    month = f"{last_day:%Y-%m}"
    while default_as_of(month).date() > last_day:
        month = previous_month(month)
    return month, format_as_of(default_as_of(month))


# ------------------------------------------------------------------------------------------------------------


def commit() -> str:
    """The code measured: HEAD, marked dirty when the checkout has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        # the results this script writes are not code: they do not make the measured checkout dirty
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)benchmarks/results"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def machine() -> dict:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = (
        int(next(ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")))
        / 1024
        / 1024
    )
    import duckdb

    versions = {"python": platform.python_version(), "duckdb": duckdb.__version__}
    for pkg in ("dbt-core", "dbt-duckdb", "great-expectations"):
        try:
            from importlib.metadata import version

            versions[pkg] = version(pkg)
        except Exception:  # noqa: BLE001
            pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem, 1),
        "os": platform.platform(),
        "versions": versions,
    }


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    folder, csvs = exports()
    last = day_of(csvs[-1])
    month, as_of = publication_period(last)
    results: dict = {
        "name": NAME,
        "scale": SCALE,
        "days": len(csvs),
        "first_day": str(day_of(csvs[0])),
        "last_day": str(last),
        "month": month,
        "as_of": as_of,
        "runs": RUNS,
        "machine": machine(),
        "commit": commit(),
        "export_bytes": sum(c.stat().st_size for c in csvs),
        "steps": {},
    }
    log(
        f"{len(csvs)} exports {results['first_day']} … {last} ({results['export_bytes'] / 2**30:.1f} GiB); "
        f"publication {month} as of {as_of}"
    )
    wh = DATA / "warehouse.duckdb"
    fl = DATA / "floor.duckdb"
    pub = DATA / "publish"
    full_state = DATA / "state-full.duckdb"  # the year loaded and built as of the last night

    def build(w, m, a):
        return [HOTLINE, "build", "--warehouse", str(w), "--month", m, "--as-of", a]

    def nightly(dumps, w, d):
        return [HOTLINE, "nightly", "--dumps", str(dumps), "--warehouse", str(w), "--day", str(d)]

    # 3. the full year from an empty warehouse
    if "full" in ONLY or not full_state.exists():

        def full_run():
            copy_db(DATA / "nonexistent", wh)
            return steps([[HOTLINE, "load", "--dumps", str(folder), "--warehouse", str(wh)], build(wh, month, as_of)])

        def full_floor():
            copy_db(DATA / "nonexistent", fl)
            return measure(
                FLOOR
                + [
                    str(fl),
                    "full.sql",
                    f"dumps={folder}",
                    f"month={month}",
                    f"prev_month={previous_month(month)}",
                    f"as_of={as_of}",
                    f"pii_key={ENV['HOTLINE_PII_KEY']}",
                ]
            )

        runs = FULL_RUNS if "full" in ONLY else 1
        global_runs = RUNS
        try:
            globals()["RUNS"] = runs
            r = repeat("full year from empty", full_run, full_floor)
        finally:
            globals()["RUNS"] = global_runs
        if "full" in ONLY:
            results["steps"]["full"] = r
            write(results)
        measure(nightly(folder, wh, last))  # as the last nightly leaves it (all exports unchanged: the build)
        copy_db(wh, full_state)
        prepare_floor(full_state)

    # 1. nightly increment: the warehouse as of the night before, then the last day
    before = DATA / "state-before-last-day.duckdb"
    day = DATA / "dumps-last-day"
    if "nightly" in ONLY or "airflow" in ONLY:
        if not before.exists():
            log("preparing the warehouse of the night before (not measured)")
            prev_folder = DATA / "dumps-before-last-day"
            shutil.rmtree(prev_folder, ignore_errors=True)
            prev_folder.mkdir()
            for c in csvs[:-1]:
                for f in (c, c.with_name(c.stem + ".manifest.json")):
                    link(f, prev_folder / f.name)
            # built at the measured runs' path: dbt's partial parse (per warehouse path) is then that of the
            # night before, as in production, not a first parse
            copy_db(DATA / "nonexistent", wh)
            measure(nightly(prev_folder, wh, last - dt.timedelta(days=1)))
            prepare_floor(wh)
            copy_db(wh, before, move=True)
        shutil.rmtree(day, ignore_errors=True)
        day.mkdir()
        for f in (csvs[-1], csvs[-1].with_name(csvs[-1].stem + ".manifest.json")):
            link(f, day / f.name)

        def nightly_run():
            copy_db(before, wh)
            return measure(nightly(day, wh, last))

        def nightly_floor():
            copy_db(before, fl)
            return measure(
                FLOOR
                + [
                    str(fl),
                    "nightly.sql",
                    f"csv={csvs[-1].resolve()}",
                    f"export_date={last}",
                    f"file_name={csvs[-1].name}",
                    f"as_of={last} 23:59:59",
                    f"pii_key={ENV['HOTLINE_PII_KEY']}",
                ]
            )

    if "nightly" in ONLY:
        results["steps"]["nightly"] = repeat("nightly increment", nightly_run, nightly_floor)
        write(results)  # after every step: a later failure loses nothing measured
    if "airflow" in ONLY:
        dags_test = airflow_setup()

        def airflow_run():
            copy_db(before, wh)
            return measure(
                dags_test
                + [
                    "hotline_nightly",
                    "--conf",
                    json.dumps(
                        {
                            "day": str(last),
                            "dumps_dir": str(day),
                            "warehouse": str(wh),
                            "sensor_timeout_minutes": 1,
                            "sensor_poke_seconds": 1,
                        }
                    ),
                ]
            )

        results["steps"]["airflow"] = repeat("nightly increment through Airflow", airflow_run, nightly_floor)
        write(results)

    # 2. the month on the year's history (the warehouse as the last nightly left it): build and gate. Not the
    #    publication itself: at megacity scale LibreOffice does not print the Word bulletin (its overdue list
    #    runs to thousands of rows) within the publisher's limit (benchmarks/README.md)
    monthly_state = DATA / "state-monthly.duckdb"
    if "monthly" in ONLY or ("gate" in ONLY and not monthly_state.exists()):

        def monthly_run():
            copy_db(full_state, wh)
            shutil.rmtree(pub, ignore_errors=True)
            return steps(
                [
                    build(wh, month, as_of),
                    [
                        HOTLINE,
                        "validate",
                        "--warehouse",
                        str(wh),
                        "--month",
                        month,
                        "--as-of",
                        as_of,
                        "--out",
                        str(DATA / "no-publication"),
                    ],
                ]
            )

        def monthly_floor():
            copy_db(full_state, fl)
            return measure(
                FLOOR
                + [str(fl), "monthly.sql", f"month={month}", f"prev_month={previous_month(month)}", f"as_of={as_of}"]
            )

        if "monthly" in ONLY:
            results["steps"]["monthly"] = repeat("monthly publication", monthly_run, monthly_floor)
            write(results)
        else:
            monthly_run()
        copy_db(wh, monthly_state, move=True)  # a year's warehouse is ~15 GB: no second copy

    # 4. the gate alone vs the same checks in SQL
    if "gate" in ONLY:

        def gate_run():
            return measure(
                [
                    HOTLINE,
                    "validate",
                    "--warehouse",
                    str(monthly_state),
                    "--month",
                    month,
                    "--as-of",
                    as_of,
                    "--out",
                    str(DATA / "no-publication"),
                ]
            )

        def gate_floor():
            return measure(
                [
                    sys.executable,
                    str(HERE / "floors" / "gate.py"),
                    str(monthly_state),
                    str(REPO / "expectations"),
                    month,
                    as_of,
                ]
            )

        results["steps"]["gate"] = repeat("gate", gate_run, gate_floor)

    write(results)


def prepare_floor(warehouse: Path) -> None:
    """The floors' own typed copy of raw.ticket_rows in ``warehouse`` (not measured): the nightly and monthly
    floors read it, whatever tables the pipeline keeps."""
    measure(FLOOR + [str(warehouse), "prepare.sql", f"pii_key={ENV['HOTLINE_PII_KEY']}"])


def airflow_setup() -> list[str]:
    """A SQLite Airflow metadata DB of the benchmark's own, the one-slot DuckDB pool and the dbt manifest for
    cosmos (not measured); returns the `airflow dags test` command."""
    home = DATA / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    ENV.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "HOTLINE_RETRY_DELAY_S": "10",
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        }
    )
    airflow = str(BIN / "airflow")
    measure([airflow, "db", "migrate"])
    measure([airflow, "pools", "set", "hotline_duckdb", "1", "DuckDB allows one writer process"])
    measure([sys.executable, "-m", "hotline.orchestration.dbt", "manifest"])
    return [airflow, "dags", "test"]


LABELS = {
    "nightly": "1. nightly increment (`hotline nightly`: load 1 day + the dbt increment)",
    "airflow": "1b. nightly increment through Airflow (`airflow dags test hotline_nightly`)",
    "monthly": "2. the month on a warehouse's history (build month + gate; no office documents)",
    "full": "3. full history from an empty warehouse (load all + build)",
    "gate": "4. gate alone (GE) vs the same checks in SQL",
}


def write(results: dict) -> None:
    """results/<name>.json for this run; results/README.md renders every results file (a quick run does not
    hide the year's table)."""
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{results['name']}.json"
    if path.exists():  # a partial run (BENCH_ONLY) keeps the other steps measured on the same data
        old = json.loads(path.read_text())
        if (old.get("scale"), old.get("days")) == (results["scale"], results["days"]):
            results["steps"] = {**old.get("steps", {}), **results["steps"]}
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    every = [json.loads(f.read_text()) for f in out.glob("*.json")]
    every.sort(key=lambda r: (-r["days"] * r["scale"], r["name"]))  # the largest data first
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            "Floors: benchmarks/floors/ (hand-written DuckDB SQL run with "
            "the duckdb module). Wall: time.perf_counter; peak: ru_maxrss of the process (os.wait4); "
            "medians over the runs listed.",
            "",
        ]
        + [ln for r in every for ln in table(r)]
    )
    (out / "README.md").write_text(text)
    print("\n".join(table(results)))


def table(results: dict) -> list[str]:
    """One results file as Markdown: its data, its machine and a row per step with its ratio to the floor."""
    m = results["machine"]
    lines = [
        f"## {results['name']}",
        "",
        f"{results['days']} daily exports {results['first_day']} … {results['last_day']} at scale "
        f"{results['scale']:g} ({results['export_bytes'] / 2**30:.1f} GiB of CSV); publication "
        f"{results['month']} as of {results['as_of']}.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + ".",
        "",
        "| step | runs | wall s | floor wall s | ratio | peak MiB | floor peak MiB | commit | measured |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for key, label in LABELS.items():
        r = results["steps"].get(key)
        if r:
            lines.append(
                f"| {label} | {len(r['runs'])} | {r['wall_s']:.1f} | {r['floor_wall_s']:.1f} | "
                f"{r['ratio_wall']:.2f}× | {r['peak_mib']:.0f} | {r['floor_peak_mib']:.0f} | "
                f"{r.get('commit', results.get('commit', '?'))} | {r.get('measured_on', '?')} |"
            )
    return lines + [""]


if __name__ == "__main__":
    main()

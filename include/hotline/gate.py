"""The publication gate: Great Expectations suites, kept as reviewed YAML in ``expectations/``, run on
DataFrames pulled from DuckDB (GX's SQL datasource cannot validate DuckDB here).

Three kinds of suite:

- ``marts.yml``: the published marts, every string column scanned for phone-number-like values (every other
  invariant of a mart is a dbt test beside its model, recorded per build: :func:`hotline.quality.dbt_test_checks`);
- ``reconciliation.yml``: cross-table checks, each an ``expected`` and an ``actual`` SQL scalar; the pairs are
  validated by GX as one DataFrame (``ExpectColumnPairValuesToBeEqual``);
- ``rates.yml``: every printed rate next to its numerator and denominator; the gate recomputes each rate
  half-up to 2 decimals and GX checks printed = recomputed.

The bulletin identities (``identities.yml``, :mod:`hotline.identities`, shared with ``hotline audit-bulletin``)
join the last two where they say ``- identities: identities.yml``: evaluated on the month's figures as they will
be published (``figures.json``), a sum or count becomes an expected/actual pair, a rate a printed/recomputed one.

Every check becomes one line of the reconciliation report with its expected value, actual value and status.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from hotline.checks import Check, Decisions, GateFailed, GateReport, Subject, plain, subject
from hotline.identities import Group, Identity, absent, instances, load_identities
from hotline.paths import EXPECTATIONS_DIR
from hotline.rates import change_pct, rate_pct, round_half_up

if TYPE_CHECKING:
    import duckdb

__all__ = ["Check", "GateFailed", "GateReport", "run_gate"]

log = logging.getLogger(__name__)


def import_gx() -> Any:
    """Import Great Expectations without analytics and with its INFO chatter silenced; the import is CPU-heavy,
    so callers may run this in a thread ahead of time."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx

    # GX configures its own loggers on import; keep its per-step INFO chatter out of our logs.
    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return gx


def _gx() -> tuple[Any, Any]:
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return gx, ctx


def _snake_to_class(name: str) -> str:
    return "".join(p.capitalize() for p in name.split("_"))


def _expectation(gx: Any, spec: dict[str, Any]) -> Any:
    """One YAML entry ``{expect_x: {kwargs}}`` → a GX expectation object."""
    ((etype, kwargs),) = spec.items()
    cls = getattr(gx.expectations, _snake_to_class(etype), None)
    if cls is None:
        raise ValueError(f"unknown expectation {etype!r} in expectations/")
    return cls(**(kwargs or {}))


def _render(sql: str, month: str, as_of: str) -> str:
    return sql.replace("{month}", month).replace("{as_of}", as_of)


class _Validator:
    """Runs one DataFrame through one GX suite and turns each result into a Check."""

    def __init__(self) -> None:
        self.gx, self.ctx = _gx()
        ds = self.ctx.data_sources.add_pandas("hotline")
        self.asset = ds.add_dataframe_asset(name="frames")
        self.batch_def = self.asset.add_batch_definition_whole_dataframe("whole")
        self.n = 0

    def validate(
        self, suite_name: str, df: Any, specs: list[dict[str, Any]], describe: Callable[[Any], Any]
    ) -> list[Any]:
        """GX's result for each expectation of ``specs`` on ``df``, each passed through ``describe``."""
        self.n += 1
        gx = self.gx
        suite = self.ctx.suites.add(gx.ExpectationSuite(name=f"{suite_name}#{self.n}"))
        for spec in specs:
            suite.add_expectation(_expectation(gx, spec))
        vd = self.ctx.validation_definitions.add(
            gx.ValidationDefinition(name=f"{suite_name}#{self.n}", data=self.batch_def, suite=suite)
        )
        res = vd.run(batch_parameters={"dataframe": df}, result_format="COMPLETE")
        return [describe(r) for r in res.results]


@dataclass
class _Validation:
    """A DataFrame waiting to be validated by GX: the SQL runs first, GX (imported meanwhile) afterwards.
    ``finish`` turns the described results into the report's checks."""

    suite: str
    df: Any  # a pandas DataFrame
    specs: list[dict[str, Any]]
    describe: Callable[[Any], Any]
    finish: Callable[[list[Any]], list[Check]] = lambda described: described

    def run(self, v: _Validator) -> list[Check]:
        return self.finish(v.validate(self.suite, self.df, self.specs, self.describe))


def _load_yaml(name: str, expectations_dir: Path, month: str, as_of: str) -> dict[str, Any]:
    """A suite file with ``{month}`` and ``{as_of}`` filled in."""
    path = expectations_dir / name
    if not path.exists():
        raise FileNotFoundError(f"expectation suite {path} is missing")
    loaded: dict[str, Any] = yaml.safe_load(_render(path.read_text(encoding="utf-8"), month, as_of)) or {}
    return loaded


def run_gate(
    warehouse: Path,
    month: str,
    as_of: str,
    publish_dir: Path | None = None,
    expectations_dir: Path | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    decisions: Decisions | None = None,
) -> GateReport:
    """Validate the month in ``warehouse``: its inputs (completeness, control totals, quarantine), what it is
    about (departments), its dbt build's data tests, then the marts (Great Expectations). Reads only; never
    publishes. ``decisions``: what the operator accepted (recorded in the report)."""
    import duckdb

    from hotline.coverage import completeness_checks, preflight
    from hotline.errors import Refused
    from hotline.quality import calendar_checks, dbt_test_checks, department_checks
    from hotline.warehouse import connect

    expectations_dir = Path(expectations_dir or EXPECTATIONS_DIR)
    decisions = decisions or Decisions()
    report = GateReport(month=month, as_of=as_of, decisions=decisions.all())
    if publish_dir is not None and Path(publish_dir).is_dir():  # the previous publication is read below
        from hotline.publish.release import recover

        for line in recover(Path(publish_dir)):
            log.warning("%s: %s", publish_dir, line)
    # Great Expectations' import is CPU-heavy: on the other core while DuckDB runs the checks' SQL
    warm = threading.Thread(target=import_gx, daemon=True)
    warm.start()
    own = con is None
    con = con or connect(Path(warehouse), read_only=True)
    try:
        suites = {
            n: _load_yaml(f"{n}.yml", expectations_dir, month, as_of) for n in ("marts", "reconciliation", "rates")
        }
        try:  # a month the exports cannot answer (no export of it, no contact, an old raw layer…) stops here
            preflight(con, month, as_of)
        except Refused as e:
            report.checks.append(
                Check(
                    "completeness",
                    "the exports can answer the month",
                    "导出数据可以回答本月（有本月导出、有来电、截止日已导出）",
                    "yes",
                    "no",
                    "fail",
                    subject=subject("errors", [str(e)]),
                )
            )
            return report
        report.checks += completeness_checks(con, month, as_of, decisions)
        report.checks += dbt_test_checks(con, month, as_of)
        report.checks += department_checks(con, month, decisions)
        report.checks += calendar_checks(con, month)
        identities = _Identities(con, month, as_of, expectations_dir)
        parts = (
            _mart_checks(con, month, as_of, suites["marts"])
            + _reconciliation_checks(con, month, as_of, suites["reconciliation"], publish_dir, identities=identities)
            + _rate_checks(con, month, as_of, suites["rates"], identities=identities)
        )
        warm.join()
        v = _Validator()
        for part in parts:
            report.checks += part.run(v) if isinstance(part, _Validation) else [part]
    except duckdb.Error as e:
        report.checks.append(
            Check(
                "gate",
                "marts readable",
                "the month's marts can be queried",
                "readable",
                str(e).splitlines()[0],
                "fail",
                subject=subject("errors", [str(e).splitlines()[0]]),
            )
        )
    finally:
        if own:
            con.close()
    return report


def _mart_checks(con: duckdb.DuckDBPyConnection, month: str, as_of: str, spec: dict[str, Any]) -> list[_Validation]:
    import pandas as pd

    checks: list[_Validation] = []
    for mart, body in (spec.get("marts") or {}).items():
        sql = _render(body.get("query", f"select * from marts.{mart}"), month, as_of)
        df = con.execute(sql).df()
        entries = list(body.get("expectations") or [])
        if body.get("no_personal_data", True):
            for col in df.columns:
                # object (pandas < 3) or the string dtype (pandas ≥ 3: VARCHAR is no longer object)
                if pd.api.types.is_string_dtype(df[col].dtype):
                    entries.append(
                        {
                            "expect_column_values_to_not_match_regex": {
                                "column": col,
                                "regex": r"(?<!\d)1[3-9]\d{9}(?!\d)",
                            }
                        }
                    )

        def describe(r: Any, mart: str = mart, df: Any = df) -> Check:
            cfg = r.expectation_config
            kwargs = {k: plain(x) for k, x in cfg.kwargs.items() if k not in ("batch_id", "result_format")}
            res = r.result or {}
            actual = res.get("observed_value")
            if actual is None and res.get("unexpected_list"):
                actual = {"unexpected": plain(res["unexpected_list"][:10]), "count": res.get("unexpected_count")}
            elif actual is None:
                actual = "no unexpected values" if r.success else "failed"
            return Check.judged(
                mart,
                f"{mart}: {cfg.type}",
                _describe(cfg.type, kwargs),
                kwargs,
                plain(actual),
                bool(r.success),
                subject=_failing_mart_rows(df, res),
            )

        checks.append(_Validation(mart, df, entries, describe))
    return checks


#: the column that names a mart's row, in order of preference
_ROW_KEYS = (
    "ticket_id",
    "department_name",
    "hotspot_key",
    "channel",
    "purpose",
    "special_line",
    "category_l1",
    "rank",
    "month",
)


def _failing_mart_rows(df: Any, result: dict[str, Any]) -> Subject | None:
    """The failing rows of a mart, named by their key column (GX's unexpected row indices)."""
    idx = list(result.get("unexpected_index_list") or [])
    key = next((k for k in _ROW_KEYS if k in df.columns), None)
    if not idx or key is None:
        return None
    values = [plain(df[key].iloc[i]) for i in idx if isinstance(i, int) and 0 <= i < len(df)]
    return subject(
        "departments" if key == "department_name" else "tickets" if key == "ticket_id" else "rows",
        values,
        result.get("unexpected_count") or len(values),
    )


def _describe(etype: str, kwargs: dict[str, Any]) -> str:
    """A reader's sentence for an expectation: 'work_orders ≥ closed', 'rank is unique', …"""
    col, a, b = kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B")
    if etype == "expect_column_pair_values_a_to_be_greater_than_b":
        return f"{a} {'≥' if kwargs.get('or_equal') else '>'} {b} on every row"
    if etype == "expect_column_values_to_be_between":
        lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
        return f"{col} within [{'' if lo is None else lo}, {'' if hi is None else hi}]"
    if etype == "expect_column_values_to_not_match_regex":
        return f"{col}: no phone-number-like value (personal data)"
    words = etype.removeprefix("expect_").replace("_", " ")
    return f"{col}: {words}" if col else words


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, month: str, as_of: str) -> Any:
    row = con.execute(_render(sql, month, as_of)).fetchone()
    return None if row is None else plain(row[0])


def _reconciliation_checks(
    con: duckdb.DuckDBPyConnection,
    month: str,
    as_of: str,
    spec: dict[str, Any],
    publish_dir: Path | None,
    *,
    identities: _Identities,
) -> list[Check | _Validation]:
    import pandas as pd

    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    unreadable: list[Check] = []
    for name, sql in (spec.get("recounts") or {}).items():  # shared by several checks: computed once
        if not str(name).isidentifier():
            raise ValueError(f"reconciliation recount name {name!r} is not an identifier")
        con.execute(f"create or replace temp table {name} as {_render(sql, month, as_of)}")
    for c in spec.get("checks") or []:
        if "identities" in c:
            got = identities.rows(c["identities"], ("sum", "count"))
            if isinstance(got, Check):
                unreadable.append(got)
            else:
                rows += got
            continue
        expected = _scalar(con, c["expected"], month, as_of)
        actual = _scalar(con, c["actual"], month, as_of)
        rows.append(
            {
                "name": c["name"],
                "description": c.get("description", ""),
                "expected": expected,
                "actual": actual,
                "severity": c.get("severity", "fail"),
                "subject": c.get("subject"),
            }
        )
    prev = _previous_publication_check(con, month, as_of, publish_dir, spec.get("previous_month_total"))
    if prev is not None:
        (rows if prev["status"] is None else skipped).append(prev)
    checks: list[Check | _Validation] = [
        *unreadable,
        *(
            Check("reconciliation", r["name"], r["description"], r["expected"], r["actual"], r["status"])
            for r in skipped
        ),
    ]
    if rows:
        df = pd.DataFrame(
            {
                "name": [r["name"] for r in rows],
                "expected": [json.dumps(plain(r["expected"])) for r in rows],
                "actual": [json.dumps(plain(r["actual"])) for r in rows],
            }
        )

        def finish(described: list[Any]) -> list[Check]:
            bad = described[0]
            return [
                Check.judged(
                    "reconciliation",
                    r["name"],
                    r["description"],
                    r["expected"],
                    r["actual"],
                    i not in bad,
                    severity=r.get("severity", "fail"),
                    subject=_subject_of(con, r.get("subject"), month, as_of) if i in bad else None,
                )
                for i, r in enumerate(rows)
            ]

        checks.append(
            _Validation(
                "reconciliation",
                df,
                [{"expect_column_pair_values_to_be_equal": {"column_A": "expected", "column_B": "actual"}}],
                _unexpected_rows,
                finish,
            )
        )
    return checks


def _subject_of(con: duckdb.DuckDBPyConnection, spec: dict[str, Any] | None, month: str, as_of: str) -> Subject | None:
    """A failing reconciliation check's subject: its YAML ``subject`` query (``kind`` + ``sql``) when it has one."""
    if not spec:
        return None
    cur = con.execute(_render(spec["sql"], month, as_of))
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    items = [r[0] if len(cols) == 1 else dict(zip(cols, r, strict=True)) for r in rows]
    return subject(spec.get("kind", "rows"), items)


def _unexpected_rows(result: Any) -> set[int]:
    """The row positions a column-pair expectation found unequal."""
    return set((result.result or {}).get("unexpected_index_list") or [])


def _previous_publication_check(
    con: duckdb.DuckDBPyConnection, month: str, as_of: str, publish_dir: Path | None, sql: str | None
) -> dict[str, Any] | None:
    """Month-over-month change must start from the previous month's *published* total, when there is one."""
    if not sql:
        return None
    from hotline.periods import previous_month

    prev = previous_month(month)
    desc = f"上月来电总量 = {prev} 已发布的 contacts.total"
    figures = Path(publish_dir) / prev / "figures.json" if publish_dir else None
    if figures is None or not figures.exists():
        return {
            "name": "previous month total = previous publication",
            "description": desc,
            "expected": f"no publication of {prev}",
            "actual": _scalar(con, sql, month, as_of),
            "status": "skipped",
        }
    published = json.loads(figures.read_text(encoding="utf-8"))["contacts"]["total"]
    return {
        "name": "previous month total = previous publication",
        "description": desc,
        "expected": published,
        "actual": _scalar(con, sql, month, as_of),
        "status": None,
    }


def _rate_checks(
    con: duckdb.DuckDBPyConnection, month: str, as_of: str, spec: dict[str, Any], *, identities: _Identities
) -> list[_Validation]:
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for r in spec.get("rates") or []:
        if "identities" in r:
            got = identities.rows(r["identities"], ("rate", "change"))
            rows += got if isinstance(got, list) else []  # unreadable figures: reported with the sums
            continue
        df = con.execute(_render(r["query"], month, as_of)).df()
        for rec in df.to_dict("records"):
            expected = (
                rate_pct(rec["numerator"], rec["denominator"])
                if r.get("kind", "rate") == "rate"
                else change_pct(rec["numerator"], rec["denominator"])
            )
            printed = rec["rate"]
            rows.append(
                {
                    "name": f"{r['name']}[{rec['key']}]",
                    "description": f"{r.get('description', r['name'])}: {rec['numerator']} / {rec['denominator']}",
                    "expected": None if expected is None else format(expected, "f"),
                    "actual": None if printed is None or pd.isna(printed) else format(round_half_up(printed), "f"),
                }
            )
    if not rows:
        return []
    df = pd.DataFrame(rows)
    df["expected"] = df["expected"].fillna("null")
    df["actual"] = df["actual"].fillna("null")

    def finish(described: list[Any]) -> list[Check]:
        bad = described[0]
        return [
            Check.judged(
                "rates",
                r["name"],
                r["description"],
                r["expected"],
                r["actual"],
                i not in bad,
                severity=r.get("severity", "fail"),
                subject=subject("rows", [r["name"]]),
            )
            for i, r in enumerate(rows)
        ]

    return [
        _Validation(
            "rates",
            df[["expected", "actual"]],
            [{"expect_column_pair_values_to_be_equal": {"column_A": "expected", "column_B": "actual"}}],
            _unexpected_rows,
            finish,
        )
    ]


class _Identities:
    """The bulletin identities on the month's figures as they will be published (``figures.json``, read from the
    marts once): the rows of the reconciliation and rates suites, in the shape of their SQL checks."""

    def __init__(self, con: duckdb.DuckDBPyConnection, month: str, as_of: str, expectations_dir: Path) -> None:
        self.con, self.month, self.as_of, self.dir = con, month, as_of, expectations_dir
        self._figures: dict[str, Any] | Check | None = None

    def figures(self) -> dict[str, Any] | Check:
        if self._figures is None:
            from hotline.publish.figures import figures_from_marts

            try:
                self._figures = figures_from_marts(self.con, self.month, self.as_of)
            except (ValueError, StopIteration) as e:  # no KPI row of the month, a channel missing
                self._figures = Check(
                    "reconciliation",
                    "figures of the month",
                    "本月公报数字可由集市得出",
                    "figures.json of the month",
                    str(e) or type(e).__name__,
                    "fail",
                )
        return self._figures

    def rows(self, file: str, relations: tuple[str, ...]) -> list[dict[str, Any]] | Check:
        """The rows of the identities of ``file`` with one of ``relations``; the failing check instead when the
        figures cannot be read."""
        figures = self.figures()
        if isinstance(figures, Check):
            return figures
        return identity_rows(figures, load_identities(self.dir / file), relations)


def identity_rows(
    figures: dict[str, Any], entries: list[Identity | Group], relations: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The gate's rows for the identities of ``entries`` that have a ``gate`` block and one of ``relations``, one
    per key or row of ``figures``: a sum or count as expected (the figure) / actual (its terms), a rate or change
    as expected (recomputed, 2 decimals) / actual (published)."""
    out: list[dict[str, Any]] = []
    for inst in instances(figures, entries):
        gate, relation = inst.identity.gate, inst.identity.relation
        if gate is None or relation not in relations or not inst.applies():
            continue
        name = f"{gate['name']}[{inst.label()}]" if inst.binding.bound else gate["name"]
        value = None if absent(inst.value) else inst.value
        if relation in ("sum", "count"):
            out.append(
                {
                    "name": name,
                    "description": gate.get("description", gate["name"]),
                    "expected": value,
                    "actual": inst.terms_total(),
                    "severity": inst.identity.severity,
                    "subject": None,
                }
            )
            continue
        num, den = (None if absent(v) else v for v in inst.operands())
        expected = inst.expected_rate()
        out.append(
            {
                "name": f"{gate['name']}[{inst.label()}]",
                "description": f"{gate.get('description', gate['name'])}: {num} / {den}",
                "expected": None if expected is None else format(expected, "f"),
                "actual": None if value is None else format(round_half_up(value), "f"),
                "severity": inst.identity.severity,
            }
        )
    return out

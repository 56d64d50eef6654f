"""Unit tests of include/hotline/orchestration/ that need no Airflow process: the export check, run resolution,
the monthly decision and the alert channels. (Anything that imports Airflow runs in a subprocess: see
test_airflow_pieces below.)"""

from __future__ import annotations

import hashlib
import json
import socketserver
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from airflow_support import REPO, airflow_env, webhook_receiver

from hotline.orchestration import alerts, config, tasks
from hotline.orchestration.exports import check_export

DAY = "2024-12-05"


def _export(
    folder: Path,
    day: str = DAY,
    body: bytes = "工单编号\nHX1\n".encode("utf-8-sig"),
    *,
    manifest=True,
    manifest_day: str | None = None,
    sha: str | None = None,
    suffix: str = ".csv",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    compact = day.replace("-", "")
    data = folder / f"hotline_{compact}{suffix}"
    data.write_bytes(body)
    if manifest:
        (folder / f"hotline_{compact}.manifest.json").write_text(
            json.dumps(
                {
                    "export_date": manifest_day or day,
                    "row_count": 1,
                    "sha256": sha or hashlib.sha256(body).hexdigest(),
                    "exported_at": f"{day}T00:10:00+08:00",
                }
            )
        )
    return data


# ------------------------------------------------------------------------------------------------ export check
def test_export_ready_when_file_and_manifest_match(tmp_path):
    _export(tmp_path)
    s = check_export(tmp_path, DAY)
    assert s.ready and s.row_count == 1 and s.file.endswith("hotline_20241205.csv")


@pytest.mark.parametrize(
    "setup, expected",
    [
        (lambda p: None, "no export for 2024-12-05 yet"),
        (lambda p: _export(p, manifest=False), "manifest hotline_20241205.manifest.json is not"),
        (lambda p: _export(p, sha="0" * 64), "does not match hotline_20241205.manifest.json"),
        (lambda p: _export(p, manifest_day="2024-12-04"), "is for 2024-12-04, not 2024-12-05"),
    ],
)
def test_export_not_ready_says_why(tmp_path, setup, expected):
    tmp_path.joinpath("x").mkdir()
    setup(tmp_path)
    s = check_export(tmp_path, DAY)
    assert not s.ready and expected in s.reason


def test_export_missing_folder_and_broken_manifest(tmp_path):
    assert "does not exist" in check_export(tmp_path / "nope", DAY).reason
    _export(tmp_path)
    (tmp_path / "hotline_20241205.manifest.json").write_text("{not json")
    assert "not a valid manifest" in check_export(tmp_path, DAY).reason


def test_export_xlsx_delivery_shares_the_manifest(tmp_path):
    _export(tmp_path, body=b"PK\x03\x04 xlsx bytes", suffix=".xlsx")
    assert check_export(tmp_path, DAY).ready
    (tmp_path / "hotline_20241205.csv").write_bytes(b"other")  # the csv beside it is not the delivery
    s = check_export(tmp_path, DAY)
    assert s.ready and s.file.endswith(".xlsx")


# ------------------------------------------------------------------------------------------------ run resolution
def _ctx(params=None, data_interval_start=None, run_after=None, run_type="manual", logical_date=None):
    return {
        "params": params or {},
        "data_interval_start": data_interval_start,
        "logical_date": logical_date,
        "dag_run": SimpleNamespace(run_after=run_after, run_type=run_type),
    }


def test_nightly_day_from_param_interval_or_run_after(monkeypatch, tmp_path):
    monkeypatch.delenv("HOTLINE_WAREHOUSE", raising=False)
    assert config.nightly_day(_ctx({"day": "2024-12-12"})) == "2024-12-12"
    # the 01:30 Asia/Shanghai run of 2024-12-13 covers [12-12 01:30, 12-13 01:30): day 2024-12-12
    start = datetime(2024, 12, 11, 17, 30, tzinfo=UTC)
    assert config.nightly_day(_ctx(data_interval_start=start)) == "2024-12-12"
    assert config.nightly_day(_ctx(run_after=datetime(2024, 12, 13, 1, 0, tzinfo=UTC))) == "2024-12-12"
    with pytest.raises(ValueError, match="day must look like"):
        config.nightly_day(_ctx({"day": "12/12/2024"}))
    run = config.nightly_run(
        _ctx({"day": "2024-12-12", "sensor_timeout_minutes": 0.5, "warehouse": str(tmp_path / "w.duckdb")})
    )
    assert run.sensor_timeout_s == 30 and run.warehouse == tmp_path / "w.duckdb"


def test_relative_paths_are_relative_to_the_repository(monkeypatch):
    monkeypatch.setenv("HOTLINE_WAREHOUSE", "data/x.duckdb")
    assert config.settings().warehouse == REPO / "data" / "x.duckdb"


def test_monthly_run_from_params_and_from_the_cutoff_cron(monkeypatch):
    for k in ("HOTLINE_CUTOFF_DAY", "HOTLINE_CUTOFF_HOUR"):
        monkeypatch.delenv(k, raising=False)
    r = config.monthly_run(_ctx({"month": "2024-11", "as_of": "2024-12-12 10:00"}))
    # the cut-off day's export carries the events up to the cut-off: it is required
    assert (r.month, r.as_of, r.explicit, r.required_through) == ("2024-11", "2024-12-12 10:00:00", True, "2024-12-12")
    decided = config.monthly_run(
        _ctx({"month": "2024-11", "accept_missing_days": ["2024-11-15"], "reason": " why ", "restate": True})
    )
    assert decided.decisions().missing_days == ("2024-11-15",) and decided.reason == "why" and decided.restate
    cron = config.monthly_run(_ctx(run_after=datetime(2024, 12, 12, 2, 0, tzinfo=UTC), run_type="scheduled"))
    assert (cron.month, cron.as_of, cron.explicit, cron.reference_time) == (
        "2024-11",
        "2024-12-12 10:00:00",
        False,
        "2024-12-12 10:00:00",
    )
    monkeypatch.setenv("HOTLINE_CUTOFF_DAY", "5")
    monkeypatch.setenv("HOTLINE_CUTOFF_HOUR", "9")
    assert config.settings().monthly_cron == "0 9 5 * *"
    r = config.monthly_run(_ctx({"month": "2024-12"}))
    assert r.as_of == "2025-01-05 09:00:00" and r.required_through == "2025-01-05"
    with pytest.raises(ValueError, match="before the end of 2024-11"):
        config.monthly_run(_ctx({"month": "2024-11", "as_of": "2024-11-30 10:00"}))


def _month(run_type, ref, explicit=False):
    return config.MonthlyRun(
        month="2024-11",
        as_of="2024-12-12 10:00:00",
        warehouse="w",
        publish_dir="p",
        explicit=explicit,
        run_type=run_type,
        reference_time=ref,
        required_through="2024-12-12",
    )


@pytest.mark.parametrize(
    "run, published, through, newest, action",
    [
        (_month("manual", "2024-12-01 00:00:00", explicit=True), True, None, None, "publish"),
        (_month("scheduled", "2024-12-12 10:00:00"), True, None, "2024-12-12", "skip"),  # already published
        (_month("scheduled", "2024-12-12 10:00:00"), False, None, "2024-12-11", "skip"),  # the cut-off day's export
        (_month("scheduled", "2024-12-12 10:00:00"), False, None, "2024-12-12", "publish"),  # is in (a late run)
        (_month("manual", "2024-12-05 08:00:00"), False, None, None, "fail"),
        (_month("asset_triggered", "2024-12-11 01:40:00"), False, "2024-12-10", None, "skip"),  # before the cut-off
        (_month("asset_triggered", "2024-12-13 01:40:00"), True, "2024-12-12", None, "skip"),  # already published
        (_month("asset_triggered", "2024-12-13 01:40:00"), False, "2024-12-11", None, "skip"),  # still not covered
        (_month("asset_triggered", "2024-12-13 01:40:00"), False, "2024-12-12", None, "publish"),  # the catch-up
    ],
)
def test_decide_month(run, published, through, newest, action):
    assert tasks.decide_month(run, published, through, newest)[0] == action


def test_contiguous_through():
    d = date.fromisoformat
    assert tasks.contiguous_through([d("2024-10-01"), d("2024-10-02"), d("2024-10-04")]) == d("2024-10-02")
    assert tasks.contiguous_through([]) is None


def test_default_args_retry_with_exponential_backoff_and_alert():
    args = config.default_args()
    assert args["retries"] > 0 and args["retry_exponential_backoff"] > 1 and args["max_retry_delay"]
    assert args["on_failure_callback"] is alerts.notify_failure and args["owner"]


# ------------------------------------------------------------------------------------------------ alerts
@pytest.fixture
def webhook():
    with webhook_receiver() as hook:
        yield hook


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to receive one message."""

    messages: list = []

    def handle(self):
        w = lambda s: self.wfile.write(s.encode() + b"\r\n")  # noqa: E731
        w("220 test")
        while line := self.rfile.readline().decode():
            cmd = line.strip().upper()
            if cmd.startswith(("EHLO", "HELO")):
                w("250 test")
            elif cmd == "DATA":
                w("354 go")
                body = []
                while (ln := self.rfile.readline().decode()) not in (".\r\n", ""):
                    body.append(ln)
                _Smtp.messages.append("".join(body))
                w("250 ok")
            elif cmd == "QUIT":
                w("221 bye")
                return
            else:
                w("250 ok")


_BOOM = RuntimeError("boom")


def _context(exc=_BOOM):
    ti = SimpleNamespace(
        dag_id="hotline_nightly", task_id="load_exports", run_id="manual__1", try_number=3, log_url="http://airflow/log"
    )
    return {"ti": ti, "exception": exc, "params": {"day": "2024-12-12", "warehouse": "/secret/path"}}


def test_alert_posts_to_the_webhook(monkeypatch, webhook):
    url, received = webhook
    monkeypatch.setenv("HOTLINE_ALERT_WEBHOOK", url)
    monkeypatch.delenv("HOTLINE_ALERT_EMAIL", raising=False)
    monkeypatch.delenv("HOTLINE_ALERT_WEBHOOK_FORMAT", raising=False)
    assert alerts.notify_failure(_context()) == ["webhook"]
    body = received[-1]
    assert "hotline_nightly.load_exports failed" in body["text"] and "RuntimeError: boom" in body["text"]
    assert body["alert"]["params"] == {"day": "2024-12-12"}
    monkeypatch.setenv("HOTLINE_ALERT_WEBHOOK_FORMAT", "wecom")
    alerts.notify_failure(_context())
    assert received[-1]["msgtype"] == "text" and "boom" in received[-1]["text"]["content"]


def test_alert_sends_mail(monkeypatch):
    _Smtp.messages = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.delenv("HOTLINE_ALERT_WEBHOOK", raising=False)
        monkeypatch.setenv("HOTLINE_ALERT_EMAIL", "ops@example.org, oncall@example.org")
        monkeypatch.setattr(
            alerts,
            "_smtp_conf",
            lambda: {
                "host": "127.0.0.1",
                "port": server.server_address[1],
                "starttls": False,
                "ssl": False,
                "user": None,
                "password": None,
                "mail_from": "airflow@example.org",
                "timeout": 5,
            },
        )
        assert alerts.notify_failure(_context()) == ["email"]
        assert "hotline_nightly.load_exports failed" in _Smtp.messages[-1]
    finally:
        server.shutdown()
        server.server_close()


def test_alert_without_channel_is_logged_and_failing_channels_never_raise(monkeypatch, caplog):
    monkeypatch.delenv("HOTLINE_ALERT_WEBHOOK", raising=False)
    monkeypatch.delenv("HOTLINE_ALERT_EMAIL", raising=False)
    with caplog.at_level("ERROR", logger="hotline.orchestration.alerts"):
        assert alerts.notify_failure(_context()) == []
    assert "no alert channel configured" in caplog.text
    monkeypatch.setenv("HOTLINE_ALERT_WEBHOOK", "http://127.0.0.1:9/unreachable")
    with caplog.at_level("ERROR", logger="hotline.orchestration.alerts"):
        assert alerts.notify_failure(_context()) == []
    assert "alert webhook failed" in caplog.text


# ------------------------------------------------------------------------------------------------ needs Airflow
PIECES = r"""
import asyncio, json, os, sys, threading, time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from hotline.orchestration.triggers import ExportReadyTrigger
from hotline.orchestration import alerts

folder, day = Path(sys.argv[1]), "2024-12-05"
out = {}

async def first_event(trigger):
    async for ev in trigger.run():
        return ev.payload

deadline = (datetime.now(timezone.utc) + timedelta(seconds=1)).isoformat()
out["timeout"] = asyncio.run(first_event(ExportReadyTrigger(str(folder), day, deadline, poke_interval=0.2)))

def deliver():
    time.sleep(0.6)
    (folder / "hotline_20241205.csv").write_bytes(b"x")
    import hashlib
    (folder / "hotline_20241205.manifest.json").write_text(json.dumps({"export_date": day, "row_count": 0,
        "sha256": hashlib.sha256(b"x").hexdigest(), "exported_at": "2024-12-06T00:10:00+08:00"}))
threading.Thread(target=deliver).start()
deadline = (datetime.now(timezone.utc) + timedelta(seconds=20)).isoformat()
trigger = ExportReadyTrigger(str(folder), day, deadline, poke_interval=0.2)
cls, kwargs = trigger.serialize()
out["classpath"] = cls
out["ready"] = asyncio.run(first_event(ExportReadyTrigger(**kwargs)))
out["smtp"] = alerts._smtp_conf()
print("PIECES " + json.dumps(out))
"""


def test_airflow_pieces(tmp_path):
    """The deferrable sensor's trigger (times out with the reason; fires when the export lands; serializes to
    an importable class path) and the SMTP settings read from Airflow's configuration."""
    folder = tmp_path / "dumps"
    folder.mkdir()
    env = airflow_env(
        tmp_path / "home",
        AIRFLOW__SMTP__SMTP_HOST="mail.example.org",
        AIRFLOW__SMTP__SMTP_PORT="2525",
        AIRFLOW__SMTP__SMTP_MAIL_FROM="hotline@example.org",
    )
    p = subprocess.run(
        [sys.executable, "-c", PIECES, str(folder)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    line = next((ln for ln in p.stdout.splitlines() if ln.startswith("PIECES ")), None)
    assert line, p.stdout[-3000:] + p.stderr[-3000:]
    out = json.loads(line[len("PIECES ") :])
    assert out["timeout"]["status"] == "timeout" and "no export for 2024-12-05 yet" in out["timeout"]["reason"]
    assert out["ready"]["status"] == "ready" and out["ready"]["file"].endswith("hotline_20241205.csv")
    assert out["classpath"] == "hotline.orchestration.triggers.ExportReadyTrigger"
    assert (out["smtp"]["host"], out["smtp"]["port"], out["smtp"]["mail_from"]) == (
        "mail.example.org",
        2525,
        "hotline@example.org",
    )

"""Failure alerts: every task's ``on_failure_callback``.

Channels, from the environment of the process that runs the task:

- ``HOTLINE_ALERT_WEBHOOK``: an HTTP(S) URL; the alert is POSTed as JSON. ``HOTLINE_ALERT_WEBHOOK_FORMAT``
  picks the body: ``generic`` (default: ``{"text": ..., "alert": {...}}``, also what Slack expects),
  ``wecom`` / ``dingtalk`` (``{"msgtype": "text", "text": {"content": ...}}``, WeCom and DingTalk robots).
- ``HOTLINE_ALERT_EMAIL``: comma-separated addresses; sent with Airflow's ``[smtp]`` settings
  (``AIRFLOW__SMTP__SMTP_HOST``, ``_PORT``, ``_STARTTLS``, ``_SSL``, ``_USER``, ``_PASSWORD``, ``_MAIL_FROM``,
  ``_TIMEOUT``).

Both are used when both are set; with neither, the alert is only logged (at ERROR). A failing channel is
logged and never raises: an alert must not hide the task's own error.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import urllib.request
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

log = logging.getLogger(__name__)


def _get(obj: object, name: str, default: object = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def build_alert(context: Mapping[str, Any]) -> dict[str, Any]:
    ti = _get(context, "ti") or _get(context, "task_instance")
    dag_run = _get(context, "dag_run")
    exc = _get(context, "exception")
    dag_id = _get(ti, "dag_id") or _get(dag_run, "dag_id") or _get(_get(context, "dag"), "dag_id")
    alert = {
        "dag_id": dag_id,
        "task_id": _get(ti, "task_id"),
        "run_id": _get(ti, "run_id") or _get(dag_run, "run_id"),
        "try_number": _get(ti, "try_number"),
        "params": {k: v for k, v in dict(_get(context, "params") or {}).items() if k in ("day", "month", "as_of")},
        "error": f"{type(exc).__name__}: {exc}" if exc is not None else str(_get(context, "reason") or "failed"),
    }
    try:
        alert["log_url"] = _get(ti, "log_url")
    except Exception:  # noqa: BLE001 - best effort
        alert["log_url"] = None
    what = f"{alert['dag_id']}.{alert['task_id']}" if alert["task_id"] else str(alert["dag_id"])
    alert["subject"] = f"[hotline] {what} failed ({alert['run_id']})"
    lines = [alert["subject"], f"error: {alert['error']}"]
    if alert["params"]:
        lines.append("params: " + ", ".join(f"{k}={v}" for k, v in alert["params"].items()))
    if alert["log_url"]:
        lines.append(f"log: {alert['log_url']}")
    alert["text"] = "\n".join(lines)
    return alert


def post_webhook(url: str, alert: dict[str, Any], fmt: str = "generic", timeout: float = 10.0) -> int:
    if fmt in ("wecom", "dingtalk"):
        body = {"msgtype": "text", "text": {"content": alert["text"]}}
    else:
        body = {"text": alert["text"], "alert": {k: v for k, v in alert.items() if k != "text"}}
    req = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False, default=str).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - user-configured URL
        return int(resp.status)


def _smtp_conf() -> dict[str, Any]:
    from airflow.sdk import conf

    def get(key: str, fallback: str | None = None) -> Any:
        return conf.get("smtp", key, fallback=fallback)

    def boolean(key: str, fallback: bool) -> bool:
        return str(get(key, str(fallback))).strip().lower() in ("1", "true", "yes", "on")

    return {
        "host": get("smtp_host", "localhost"),
        "port": int(get("smtp_port", "25") or 25),
        "starttls": boolean("smtp_starttls", False),
        "ssl": boolean("smtp_ssl", False),
        "user": get("smtp_user") or None,
        "password": get("smtp_password") or None,
        "mail_from": get("smtp_mail_from") or "airflow@localhost",
        "timeout": int(get("smtp_timeout", "30") or 30),
    }


def send_mail(to: list[str], alert: dict[str, Any]) -> None:
    c = _smtp_conf()
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = alert["subject"], c["mail_from"], ", ".join(to)
    msg.set_content(alert["text"])
    cls = smtplib.SMTP_SSL if c["ssl"] else smtplib.SMTP
    with cls(c["host"], c["port"], timeout=c["timeout"]) as s:
        if c["starttls"] and not c["ssl"]:
            s.starttls(context=ssl.create_default_context())
        if c["user"] and c["password"]:
            s.login(c["user"], c["password"])
        s.send_message(msg)


def notify_failure(context: Mapping[str, Any]) -> list[str]:
    """``on_failure_callback``: alert through every configured channel; returns the channels that worked."""
    try:
        alert = build_alert(context)
    except Exception:  # noqa: BLE001
        log.exception("could not build the failure alert")
        return []
    return _deliver(alert)


def send_alert(context: Mapping[str, Any], subject: str, text: str) -> list[str]:
    """An alert that is not a task failure (a re-delivery touched a published month): same channels."""
    alert = build_alert(context)
    alert.update({"subject": subject, "error": text, "text": f"{subject}\n{text}"})
    return _deliver(alert)


def _deliver(alert: dict[str, Any]) -> list[str]:
    sent: list[str] = []
    url = os.environ.get("HOTLINE_ALERT_WEBHOOK", "").strip()
    emails = [a.strip() for a in os.environ.get("HOTLINE_ALERT_EMAIL", "").replace(";", ",").split(",") if a.strip()]
    if url:
        try:
            post_webhook(url, alert, os.environ.get("HOTLINE_ALERT_WEBHOOK_FORMAT", "generic").strip().lower())
            sent.append("webhook")
        except Exception as e:  # noqa: BLE001
            log.error("alert webhook failed (%s): %s", type(e).__name__, e)
    if emails:
        try:
            send_mail(emails, alert)
            sent.append("email")
        except Exception as e:  # noqa: BLE001
            log.error("alert email to %s failed (%s): %s", ", ".join(emails), type(e).__name__, e)
    if not url and not emails:
        log.error("%s (no alert channel configured: set HOTLINE_ALERT_WEBHOOK or HOTLINE_ALERT_EMAIL)", alert["text"])
    return sent

"""docker-compose.yml cannot run here (no Docker engine): check its structure. The same topology (PostgreSQL,
api-server, scheduler, dag-processor, triggerer as separate processes) runs natively in
tests/test_airflow_scheduler_e2e.py."""
from __future__ import annotations

import re

import pytest
import yaml

from airflow_support import REPO

COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
CORE = {"postgres", "airflow-init", "api-server", "scheduler", "dag-processor", "triggerer"}
AIRFLOW = {"airflow-init", "api-server", "scheduler", "dag-processor", "triggerer", "airflow-worker", "flower"}
SECRET_KEY_RE = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY$", re.IGNORECASE)
REQUIRED_VAR_RE = re.compile(r"\$\{([A-Z0-9_]+):\?[^}]+\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _env(service: dict) -> dict:
    env = service.get("environment") or {}
    return env if isinstance(env, dict) else dict(item.split("=", 1) for item in env)


def test_services_and_profiles(services):
    assert CORE | {"redis", "airflow-worker", "flower"} == set(services)
    for name in CORE:
        assert not services[name].get("profiles"), f"{name} must run by default"
    assert services["redis"]["profiles"] == ["celery"]
    assert services["airflow-worker"]["profiles"] == ["celery"]
    assert services["flower"]["profiles"] == ["flower"]  # optional on top of celery


def test_airflow_commands_and_executor(services):
    assert {services[s]["command"] for s in ("api-server", "scheduler", "dag-processor", "triggerer")} == \
        {"api-server", "scheduler", "dag-processor", "triggerer"}
    assert services["airflow-worker"]["command"] == "celery worker"
    env = _env(services["scheduler"])
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:${POSTGRES_PASSWORD:?")
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:${REDIS_PASSWORD:?")
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://api-server:8080/execution/"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/hotline/dags" and env["PYTHONPATH"] == "/opt/hotline/include"
    init = services["airflow-init"]["command"][-1]
    assert "airflow db migrate" in init and "airflow pools set hotline_duckdb 1" in init
    assert "hotline.orchestration.dbt manifest" in init


def test_project_mounted_and_ports_local(services):
    for name in AIRFLOW:
        assert "./:/opt/hotline" in services[name]["volumes"], name
    assert services["api-server"]["ports"] == ["127.0.0.1:8080:8080"]
    assert all(p.startswith("127.0.0.1:") for s in services.values() for p in s.get("ports", []))


def test_healthchecks(services):
    for name, s in services.items():
        if name == "airflow-init":
            continue
        hc = s.get("healthcheck") or {}
        assert hc.get("test") and not hc.get("disable"), f"{name} has no health check"
        assert hc.get("interval") and hc.get("retries"), name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "/api/v2/monitor/health" in " ".join(services["api-server"]["healthcheck"]["test"])
    assert "TriggererJob" in " ".join(services["triggerer"]["healthcheck"]["test"])
    assert "DagProcessorJob" in " ".join(services["dag-processor"]["healthcheck"]["test"])


def test_startup_order(services):
    for name in ("api-server", "scheduler", "dag-processor", "triggerer"):
        dep = services[name]["depends_on"]
        assert dep["postgres"]["condition"] == "service_healthy", name
        assert dep["airflow-init"]["condition"] == "service_completed_successfully", name
    assert services["airflow-worker"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_secrets_come_from_the_env_file(services):
    for name in AIRFLOW | {"postgres"}:
        env_file = services[name]["env_file"]
        assert any((e.get("path") if isinstance(e, dict) else e) == ".env" for e in env_file), name
    for name, s in services.items():
        for key, value in _env(s).items():
            value = str(value)
            if SECRET_KEY_RE.search(key):
                assert REQUIRED_VAR_RE.fullmatch(value), f"{name}: {key} must be ${{VAR:?…}}, not {value!r}"
            if "://" in value and "@" in value:  # credentials inside a URL
                creds = value.split("://", 1)[1].split("@", 1)[0]
                assert ":" not in creds or REQUIRED_VAR_RE.search(creds), f"{name}: literal password in {key}"


def test_no_literal_passwords_anywhere():
    text = COMPOSE.read_text(encoding="utf-8")
    for line in text.splitlines():
        if re.search(r"(?i)(password|secret|fernet)[^:=]*[:=]\s*\S", line) and not line.lstrip().startswith("#"):
            assert "${" in line, f"literal secret? {line.strip()}"
    assert "--requirepass" in text and "${REDIS_PASSWORD:?" in text


def test_env_example_documents_every_variable_and_holds_no_secret():
    text = COMPOSE.read_text(encoding="utf-8")
    used = set(REQUIRED_VAR_RE.findall(text)) | set(re.findall(r"\$\{([A-Z0-9_]+):-", text))
    example = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            example[key.strip()] = value.strip()
    assert used <= set(example), f"not in .env.example: {sorted(used - set(example))}"
    for key, value in example.items():
        if SECRET_KEY_RE.search(key):
            assert value == "", f".env.example must not ship a value for {key}"

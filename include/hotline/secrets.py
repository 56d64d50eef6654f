"""The phone pseudonymization key: where it comes from, and the one place it is used.

Mainland mobile numbers are a small space (~10^9): with the key, every pseudonym can be reversed in minutes, so
the key must never reach a file, a log or a message. It is read from the environment of the process that loads
exports, and only the loader uses it, as a bound query parameter (never in SQL text): dbt, the gate and the
publication never see it.

Provisioning, in order:

1. ``HOTLINE_PII_KEY``: the key itself, from the deployment's secrets (an Airflow worker's environment filled
   by the platform's secret store, ``docker compose``'s ``.env``);
2. ``HOTLINE_PII_KEY_FILE``: a file holding the key (a Docker or Kubernetes secret mounted read-only, e.g.
   ``/run/secrets/hotline_pii_key``); it must not be readable by group or others;
3. in an Airflow task: the Airflow Variable ``hotline_pii_secret``, which a secrets backend (Vault, AWS/GCP
   secret managers…) provides (``hotline.orchestration.tasks``); "secret" in its name makes Airflow mask it in
   task logs.

Without a key the loader refuses to run: pseudonyms made with an empty or guessed key would be reversible.
The demo (``make demo``) sets a key named ``demo-only-…``: a demo warehouse's pseudonyms are not protected.
Rotating the key: ``hotline rekey`` (new key in ``HOTLINE_PII_KEY``, the old one in ``HOTLINE_PII_KEY_OLD``)
recomputes every pseudonym of the raw layer, then ``hotline build --full-refresh`` rebuilds what depends on them.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from hotline.errors import HotlineError

KEY_ENV = "HOTLINE_PII_KEY"
KEY_FILE_ENV = "HOTLINE_PII_KEY_FILE"
OLD_KEY_ENV = "HOTLINE_PII_KEY_OLD"
AIRFLOW_VARIABLE = "hotline_pii_secret"
#: the shortest key accepted: shorter ones could be guessed
MIN_LENGTH = 16


class MissingKey(HotlineError):
    """No pseudonymization key was provisioned (or it is unusable)."""


def pii_key(env: str = KEY_ENV) -> str:
    """The key from the environment (``env``) or from the file ``HOTLINE_PII_KEY_FILE`` names."""
    key = os.environ.get(env, "").strip()
    if not key and env == KEY_ENV and os.environ.get(KEY_FILE_ENV, "").strip():
        key = _read_key_file(Path(os.environ[KEY_FILE_ENV].strip()))
    if not key:
        raise MissingKey(
            f"{env} is not set: phone numbers are pseudonymized with it when exports are loaded. "
            f"Provision it from the deployment's secrets ({env}, {KEY_FILE_ENV} or, in Airflow, "
            f"the Variable {AIRFLOW_VARIABLE}): docs/security.md"
        )
    return validated(key, env)


def validated(key: str, source: str) -> str:
    """``key`` (from ``source``, named in the message) if it is usable as a pseudonymization key."""
    key = key.strip()
    if len(key) < MIN_LENGTH:
        raise MissingKey(
            f"{source} is too short ({len(key)} characters, at least {MIN_LENGTH}): a short key can "
            "be guessed, and with it every phone number"
        )
    return key


def _read_key_file(path: Path) -> str:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise MissingKey(f"{KEY_FILE_ENV} names {path}, which cannot be read ({e.strerror})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MissingKey(f"{KEY_FILE_ENV} names {path}, which group or others can read: chmod 600 it")
    return text.strip()


def key_check(key: str) -> str:
    """A one-way check value of the key (domain-separated), kept with the raw layer to notice that a load uses
    another key than the pseudonyms already stored: neither the key nor anything that reverses a pseudonym."""
    return hashlib.sha256(b"hotline key check\x00" + key.encode("utf-8")).hexdigest()

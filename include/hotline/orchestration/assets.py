"""Airflow assets shared by the DAGs.

``RAW_LAYER``: emitted by ``hotline_nightly`` once the day's export is loaded, staging and facts are built and
the raw layer passed its checks. Every event's ``extra`` says how far the raw layer reaches:
``{"day": D, "through_day": <last day of the unbroken run of exports from the first one>, "exports": n,
"warehouse": path}``. ``hotline_monthly_bulletin`` is scheduled on it (together with its cut-off cron).

``BULLETIN``: emitted by ``hotline_monthly_bulletin`` after a month was published (``extra``: month, as_of,
path), for whoever consumes the publication.

The URIs name the logical datasets, not a file: where the warehouse lives is configuration.
"""

from __future__ import annotations

from airflow.sdk import Asset

RAW_LAYER = Asset(name="hotline_raw_layer", uri="x-hotline://warehouse/raw", group="hotline")
BULLETIN = Asset(name="hotline_monthly_bulletin", uri="x-hotline://publish/bulletin", group="hotline")

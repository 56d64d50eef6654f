"""Airflow glue for the hotline warehouse: configuration, the export sensor, task bodies, alerts, cosmos
builders and asset definitions. The DAG files in ``dags/`` only wire these together.

Nothing in this package does work at import time: no warehouse is opened, no folder is listed and dbt is
never parsed while a DAG file is being imported (heavy modules are imported inside the functions).
"""

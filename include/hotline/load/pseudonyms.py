"""Rotating the phone pseudonymization key (hotline.secrets): every pseudonym of the raw layer is recomputed
with the new key in one transaction; ``hotline build --full-refresh`` then rebuilds what depends on them."""

from __future__ import annotations

from pathlib import Path

from hotline import secrets
from hotline.load.errors import LoadError
from hotline.load.rows import caller_key_sql
from hotline.load.schema import ensure_schema, layer_info, set_layer_info
from hotline.sql import scalar
from hotline.warehouse import connect


def rekey(warehouse: Path, old_key: str, new_key: str) -> int:
    """Re-pseudonymize every phone of ``warehouse``'s raw layer with ``new_key``; ``old_key`` must be the key
    its pseudonyms were made with. Returns the number of rows updated."""
    if old_key == new_key:
        raise LoadError("the new key is the old one: nothing to rotate")
    if not Path(warehouse).exists():
        raise LoadError(f"warehouse {warehouse} does not exist")
    con = connect(warehouse)
    try:
        ensure_schema(con)
        if layer_info(con, "pii_key_check") != secrets.key_check(old_key):
            raise LoadError(f"{secrets.OLD_KEY_ENV} is not the key this warehouse's pseudonyms were made with")
        con.execute("BEGIN TRANSACTION")
        try:
            n = scalar(
                con,
                f"UPDATE raw.ticket_rows SET _caller_key = {caller_key_sql(chr(34) + '联系电话' + chr(34))}",
                {"pii_key": new_key},
            )
            set_layer_info(con, "pii_key_check", secrets.key_check(new_key))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return int(n)
    finally:
        con.close()

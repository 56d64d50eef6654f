"""The findings of a bulletin against its own arithmetic: every printed figure that disagrees with the figures
it is computed from (parts and totals, rates and their numerators and denominators, tables and the text)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from hotline.audit.text import decimals
from hotline.contract import OTHER_DEPARTMENTS
from hotline.rates import change_pct, rate_pct


@dataclass(frozen=True)
class Finding:
    key: str
    printed: object
    expected: object
    message: str


def arithmetic_findings(parsed: dict) -> list[Finding]:
    """Every printed figure that disagrees with the bulletin's own arithmetic.

    Rates are recomputed from their printed numerator and denominator, half-up, at the number of decimals
    they are printed with (``0.6%`` for 26/4151 is right, ``25.21%`` for 1046/4151 is not: 25.20).
    """
    printed = parsed.get("_printed", {})
    findings: list[Finding] = []

    def check_rate(key: str, value, num: int, den: int, what: str) -> None:
        if value is None:
            return
        text = printed.get(key)
        places = decimals(text) if text is not None else 2
        shown = Decimal(text) if text is not None else Decimal(str(value))
        expected = rate_pct(num, den, places)
        if expected is None:
            if shown != 0:
                findings.append(Finding(key, float(shown), None, f"{what}: {num}/{den} has no rate"))
        elif shown != expected:
            findings.append(Finding(key, float(shown), float(expected),
                                    f"{what}: {num}/{den} = {expected}%, printed {text or value}%"))

    def check_eq(key: str, printed_value, expected, what: str) -> None:
        if printed_value is not None and expected is not None and printed_value != expected:
            findings.append(Finding(key, printed_value, expected, what))

    c = parsed["contacts"]
    ch = c["by_channel"]
    check_eq("contacts.total", c["total"], sum(ch.values()),
             f"the channels add up to {sum(ch.values())}, the total is printed as {c['total']}")
    for k, v in c.get("by_channel_pct", {}).items():
        check_rate(f"contacts.by_channel_pct.{k}", v, ch[k], c["total"], f"share of {k}")
    check_rate("contacts.work_order_channel_closure_rate_pct", c["work_order_channel_closure_rate_pct"],
               c["work_order_channel_closed"], ch["工单转办"], "工单转办 closure rate")
    if c.get("previous_total") is not None and c.get("mom_change_pct") is not None:
        key = "contacts.mom_change_pct"
        text = printed.get(key)
        places = decimals(text) if text is not None else 2
        prev = c["previous_total"]
        if prev:
            exp = change_pct(c["total"], prev, places)
            if Decimal(str(c["mom_change_pct"])) != exp:
                findings.append(Finding(key, c["mom_change_pct"], float(exp),
                                        f"change vs previous month {prev}: {exp}%, printed {c['mom_change_pct']}%"))

    s = parsed["special_lines"]
    check_eq("special_lines.total", s["total"], sum(s["by_category"].values()),
             f"the special lines add up to {sum(s['by_category'].values())}")

    p = parsed["purpose"]
    check_eq("purpose.total", p["total"], sum(p["by_type"].values()),
             f"the purposes add up to {sum(p['by_type'].values())}")
    check_eq("purpose.total", p["total"], ch["直接答复"] + ch["工单转办"],
             f"有效诉求 should be the valid phone contacts 直接答复 + 工单转办 = {ch['直接答复'] + ch['工单转办']}")
    for k, v in p.get("by_type_pct", {}).items():
        check_rate(f"purpose.by_type_pct.{k}", v, p["by_type"][k], p["total"], f"share of {k}类")

    d = parsed["demand"]
    dsum = sum(d["by_category"].values())
    check_eq("demand.total", d["total"], dsum, f"the demand categories add up to {dsum}")
    check_eq("demand.total", d["total"], c["total"] - ch["其他"],
             f"all valid contacts should be total − 其他(无效) = {c['total'] - ch['其他']}")
    for k, v in (d.get("by_category_pct") or {}).items():
        if k in d["by_category"]:
            check_rate(f"demand.by_category_pct.{k}", v, d["by_category"][k], d["total"], f"share of {k}")

    # the tables the project's bulletin prints beside the sentences say what the sentences say
    for key, counts_key, text_counts, text_total in (("purpose_table", "by_type", p["by_type"], p["total"]),
                                                     ("demand_table", "by_category", d["by_category"], d["total"])):
        table = parsed.get(key)
        if not table:
            continue
        for k, v in table[counts_key].items():
            if k not in text_counts:
                findings.append(Finding(f"{key}.{counts_key}.{k}", v, None, f"{k} is in the table, not in the text"))
                continue
            check_eq(f"{key}.{counts_key}.{k}", v, text_counts[k], f"the table says {v}, the text {text_counts[k]}")
            if key == "purpose_table":
                check_rate(f"{key}.{counts_key}_pct.{k}", table[f"{counts_key}_pct"].get(k), v, table["total"] or 0,
                           f"share of {k} in the table")
        check_eq(f"{key}.total", table["total"], text_total, f"the table's 合计 is {table['total']}, the text "
                 f"says {text_total}")
        if table["total"] is not None:
            check_rate(f"{key}.total_pct", table.get("total_pct"), table["total"], table["total"], "the 合计 share")

    w = parsed["work_orders"]
    wsum = ch["中国政府网转办"] + ch["省州系统转办"] + ch["微信端转办"] + ch["工单转办"]
    check_eq("work_orders.dispatched", w["dispatched"], wsum,
             f"work orders should be the three transfer channels + phone 工单转办 = {wsum}")
    check_rate("work_orders.closure_rate_pct", w["closure_rate_pct"], w["closed"], w["dispatched"], "closure rate")
    if w.get("satisfied") is not None:
        check_rate("work_orders.satisfaction_pct", w["satisfaction_pct"], w["satisfied"], w["callbacks"],
                   "satisfaction rate")

    def check_table(key, rows, total, n_key, k_key, r_key, total_n, total_k, what):
        n_sum, k_sum = sum(r[n_key] for r in rows), sum(r[k_key] for r in rows)
        if total is not None:
            check_eq(f"{key}_total.{n_key}", total[n_key], n_sum, f"the {what} rows add up to {n_sum}")
            check_eq(f"{key}_total.{k_key}", total[k_key], k_sum, f"the {what} rows add up to {k_sum}")
            check_rate(f"{key}_total.{r_key}", total.get(r_key), total[k_key], total[n_key], f"{what} total row")
        check_eq(f"{key}.{n_key}", n_sum, total_n, f"the {what} rows add up to {n_sum}, the text says {total_n}")
        check_eq(f"{key}.{k_key}", k_sum, total_k, f"the {what} rows add up to {k_sum}, the text says {total_k}")
        for i, r in enumerate(rows, start=1):
            check_rate(f"{key}[{r['name']}].{r_key}", r[r_key], r[k_key], r[n_key], f"{r['name']} {what}")
            if r["rank"] != i:
                findings.append(Finding(f"{key}[{r['name']}].rank", r["rank"], i,
                                        f"{what} row {i} is numbered {r['rank']}"))
        named = [r for r in rows if r["name"] != OTHER_DEPARTMENTS]
        for a, b in pairwise(named):
            if b[n_key] > a[n_key]:
                findings.append(Finding(f"{key}[{b['name']}].rank", b["rank"], None,
                                        f"{what}: {b['name']} ({b[n_key]}) ranks below {a['name']} ({a[n_key]})"))

    check_table("departments", parsed["departments"], parsed.get("departments_total"), "work_orders", "closed",
                "closure_rate_pct", w["dispatched"], w["closed"], "closure-rate table")
    check_table("satisfaction_by_department", parsed["satisfaction_by_department"],
                parsed.get("satisfaction_total"), "callbacks", "satisfied", "satisfaction_pct", w["callbacks"],
                w["satisfied"], "satisfaction table")

    closure = {r["name"]: r for r in parsed["departments"] if r["name"] != OTHER_DEPARTMENTS}
    for r in parsed.get("department_performance") or []:
        other = closure.get(r["name"])
        for f in ("work_orders", "closed"):
            if other is not None and r.get(f) is not None:
                check_eq(f"department_performance[{r['name']}].{f}", r[f], other[f],
                         f"the performance annex says {r[f]}, the closure-rate table {other[f]}")

    od = parsed["overdue_work_orders"]
    check_eq("work_orders.overdue", w["overdue"], len(od), f"the overdue table lists {len(od)} work orders")
    cutoff_date = (parsed.get("as_of") or "")[:10]
    for r in od:
        late = (r["replied_date"] > r["due_date"]) if r["replied_date"] else (cutoff_date > r["due_date"])
        if not late:
            findings.append(Finding(f"overdue_work_orders[{r['ticket_id']}]", r["replied_date"], None,
                                    f"{r['ticket_id']} is listed as overdue but was not late (due {r['due_date']}, "
                                    f"replied {r['replied_date'] or 'not yet'}, cut-off {cutoff_date})"))

    for h in parsed.get("hotspots", []):
        l1_count = d["by_category"].get(h["category_l1"])
        if l1_count is None:
            continue
        key = f"hotspots[{h['category_l1']}/{h['category_l2'] or ''}].count"
        if h["category_l2"] is None and h["count"] != l1_count:
            findings.append(Finding(key, h["count"], l1_count,
                                    f"hot spot {h['category_l1']} is the whole category, printed {l1_count} above"))
        elif h["category_l2"] is not None and h["count"] > l1_count:
            findings.append(Finding(key, h["count"], None,
                                    f"hot spot {h['category_l1']}/{h['category_l2']} exceeds its category's "
                                    f"{l1_count}"))
    return findings

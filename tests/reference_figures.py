"""The reference bulletin (docs/reference/golmud-12345-bulletin-2024-11.md), written down figure by figure.

This is the repo's record of what the Golmud 12345 bulletin for November 2024 prints, transcribed by hand under
the figure keys of docs/ARCHITECTURE.md ("Figure keys"). Tests rely on it:

* ``parse_bulletin(reference text)`` must equal :data:`REFERENCE` (apart from :data:`NOT_PRINTED` keys, which
  the parser returns as None, and the parser's ``_printed`` precision table);
* the warehouse and ``oracle.recompute`` (tests/oracle/recompute.py) on the default generated data must
  reproduce the figures (:func:`figures_only` drops the printed-only keys), except where the reference's own
  arithmetic is wrong (:data:`REFERENCE_ERRATA`).

Conventions:

* department names are canonical (``dbt_project/seeds/departments.csv``); where the document prints another
  form, the row carries ``name_printed`` (satisfaction table: ``人力资源和社会保障``, ``卫生健康委员会``);
* rows keep the document's order and 序号. The document orders tied counts editorially (and differently in
  its two tables), while figures break ties by canonical name, so compare ranked tables with
  :func:`rank_groups`;
* the overdue table is in the document's order (by receipt day); compare it as a set (:func:`by_ticket`);
* dates are ISO; the cut-off is the overdue table's 截至时间 (2024 年 12 月 12 日 10 时);
* percentages are the printed numbers (``19.8`` is printed with one decimal, ``100.00`` is 100.0).
"""

from __future__ import annotations

import copy

#: Keys the document does not print. previous_total is derived: 4049 is the only whole number N with
#: (4151 − N) / N × 100 = 2.52 (half-up, 2 decimals); hot-spot MoM changes are not printed at all.
NOT_PRINTED = ("contacts.previous_total", "hotspots[].mom_change_pct")

#: Printed figures whose own arithmetic is wrong: dotted key -> (printed, correct).
REFERENCE_ERRATA = {
    # 1046 / 4151 × 100 = 25.1987…, i.e. 25.20, not 25.21 (the other shares are right at their printed precision)
    "contacts.by_channel_pct.工单转办": (25.21, 25.20),
}

REFERENCE: dict = {
    "month": "2024-11",
    "as_of": "2024-12-12 10:00:00",
    "contacts": {
        "total": 4151,
        "previous_total": 4049,  # derived, see NOT_PRINTED
        "mom_change_pct": 2.52,
        "by_channel": {
            "中国政府网转办": 26,
            "省州系统转办": 22,
            "微信端转办": 0,
            "直接答复": 2802,
            "工单转办": 1046,
            "其他": 255,
        },
        # printed-only: the shares as printed (1 or 2 decimals; 工单转办 is wrong, see REFERENCE_ERRATA)
        "by_channel_pct": {
            "中国政府网转办": 0.6,
            "省州系统转办": 0.5,
            "微信端转办": 0.0,
            "直接答复": 67.5,
            "工单转办": 25.21,
            "其他": 6.14,
        },
        "work_order_channel_closed": 1041,
        "work_order_channel_closure_rate_pct": 99.52,
    },
    "special_lines": {
        "total": 6,
        "by_category": {"环境保护": 3, "营商环境": 2, "安全生产": 1, "办不成事": 0},
    },
    "purpose": {
        "total": 3848,
        "by_type": {"咨询": 2547, "求助": 762, "投诉": 483, "建议": 19, "其他": 37},
        # printed-only
        "by_type_pct": {"咨询": 66.19, "求助": 19.8, "投诉": 12.55, "建议": 0.49, "其他": 0.96},
    },
    "demand": {
        "total": 3896,
        "by_category": {
            "政务咨询": 1543,
            "公共服务": 630,
            "社会事业": 557,
            "城乡建设": 372,
            "交通运输": 364,
            "市场监管": 146,
            "其他": 284,
        },
    },
    "work_orders": {
        "dispatched": 1094,
        "closed": 1088,
        "closure_rate_pct": 99.45,
        "overdue": 41,
        "callbacks": 805,
        "satisfied": 767,  # printed as the satisfaction table's 总计
        "satisfaction_pct": 95.28,
    },
    "departments": [
        {"rank": 1, "name": "市住房和城乡建设局", "work_orders": 236, "closed": 234, "closure_rate_pct": 99.15},
        {"rank": 2, "name": "市投资控股有限公司", "work_orders": 89, "closed": 88, "closure_rate_pct": 98.88},
        {"rank": 3, "name": "市公安局", "work_orders": 77, "closed": 77, "closure_rate_pct": 100.0},
        {"rank": 4, "name": "市市场监督管理局", "work_orders": 66, "closed": 66, "closure_rate_pct": 100.0},
        {"rank": 5, "name": "西城区行政委员会", "work_orders": 55, "closed": 55, "closure_rate_pct": 100.0},
        {"rank": 6, "name": "市交通运输局", "work_orders": 53, "closed": 53, "closure_rate_pct": 100.0},
        {"rank": 7, "name": "市人力资源和社会保障局", "work_orders": 50, "closed": 50, "closure_rate_pct": 100.0},
        {"rank": 8, "name": "市综合行政执法局", "work_orders": 36, "closed": 36, "closure_rate_pct": 100.0},
        {"rank": 9, "name": "市教育局", "work_orders": 36, "closed": 36, "closure_rate_pct": 100.0},
        {"rank": 10, "name": "市城市管理局", "work_orders": 35, "closed": 35, "closure_rate_pct": 100.0},
        {"rank": 11, "name": "市卫生健康委员会", "work_orders": 32, "closed": 31, "closure_rate_pct": 96.88},
        {"rank": 12, "name": "市自然资源局", "work_orders": 27, "closed": 27, "closure_rate_pct": 100.0},
        {"rank": 13, "name": "昆仑经济技术开发区管委会", "work_orders": 24, "closed": 24, "closure_rate_pct": 100.0},
        {"rank": 14, "name": "东城区行政委员会", "work_orders": 23, "closed": 22, "closure_rate_pct": 95.65},
        {"rank": 15, "name": "华润燃气有限公司", "work_orders": 21, "closed": 21, "closure_rate_pct": 100.0},
        {"rank": 16, "name": "盐湖集团", "work_orders": 20, "closed": 20, "closure_rate_pct": 100.0},
        {"rank": 17, "name": "市林草局", "work_orders": 18, "closed": 18, "closure_rate_pct": 100.0},
        {"rank": 18, "name": "市能源局", "work_orders": 17, "closed": 16, "closure_rate_pct": 94.12},
        {"rank": 19, "name": "市税务局", "work_orders": 17, "closed": 17, "closure_rate_pct": 100.0},
        {"rank": 20, "name": "市消防救援支队", "work_orders": 14, "closed": 14, "closure_rate_pct": 100.0},
        {"rank": 21, "name": "海西电力格尔木分公司", "work_orders": 14, "closed": 14, "closure_rate_pct": 100.0},
        {"rank": 22, "name": "移动公司", "work_orders": 12, "closed": 12, "closure_rate_pct": 100.0},
        {"rank": 23, "name": "农垦集团", "work_orders": 10, "closed": 10, "closure_rate_pct": 100.0},
        {"rank": 24, "name": "市文体旅游广电局", "work_orders": 9, "closed": 9, "closure_rate_pct": 100.0},
        {"rank": 25, "name": "市数据局", "work_orders": 8, "closed": 8, "closure_rate_pct": 100.0},
        {"rank": 26, "name": "市工业信息化和科技局", "work_orders": 7, "closed": 7, "closure_rate_pct": 100.0},
        {"rank": 27, "name": "市生态环境局", "work_orders": 7, "closed": 7, "closure_rate_pct": 100.0},
        {"rank": 28, "name": "水务集团有限公司", "work_orders": 7, "closed": 7, "closure_rate_pct": 100.0},
        {"rank": 29, "name": "电信公司", "work_orders": 6, "closed": 6, "closure_rate_pct": 100.0},
        {"rank": 30, "name": "联通公司", "work_orders": 5, "closed": 5, "closure_rate_pct": 100.0},
        {"rank": 31, "name": "其他单位", "work_orders": 63, "closed": 63, "closure_rate_pct": 100.0},
    ],
    # printed-only: the table's 合计 row
    "departments_total": {"work_orders": 1094, "closed": 1088},
    "satisfaction_by_department": [
        {"rank": 1, "name": "市住房和城乡建设局", "callbacks": 167, "satisfied": 161, "satisfaction_pct": 96.41},
        {"rank": 2, "name": "市投资控股有限公司", "callbacks": 85, "satisfied": 82, "satisfaction_pct": 96.47},
        {"rank": 3, "name": "市公安局", "callbacks": 73, "satisfied": 69, "satisfaction_pct": 94.52},
        {"rank": 4, "name": "市市场监督管理局", "callbacks": 54, "satisfied": 52, "satisfaction_pct": 96.3},
        {"rank": 5, "name": "市交通运输局", "callbacks": 48, "satisfied": 47, "satisfaction_pct": 97.92},
        {"rank": 6, "name": "西城区行政委员会", "callbacks": 48, "satisfied": 48, "satisfaction_pct": 100.0},
        {
            "rank": 7,
            "name": "市人力资源和社会保障局",
            "callbacks": 32,
            "satisfied": 31,
            "satisfaction_pct": 96.88,
            "name_printed": "人力资源和社会保障",
        },
        {"rank": 8, "name": "市城市管理局", "callbacks": 32, "satisfied": 32, "satisfaction_pct": 100.0},
        {
            "rank": 9,
            "name": "市卫生健康委员会",
            "callbacks": 21,
            "satisfied": 20,
            "satisfaction_pct": 95.24,
            "name_printed": "卫生健康委员会",
        },
        {"rank": 10, "name": "市教育局", "callbacks": 21, "satisfied": 20, "satisfaction_pct": 95.24},
        {"rank": 11, "name": "市综合行政执法局", "callbacks": 21, "satisfied": 16, "satisfaction_pct": 76.19},
        {"rank": 12, "name": "东城区行政委员会", "callbacks": 19, "satisfied": 18, "satisfaction_pct": 94.74},
        {"rank": 13, "name": "市自然资源局", "callbacks": 19, "satisfied": 17, "satisfaction_pct": 89.47},
        {"rank": 14, "name": "昆仑经济技术开发区管委会", "callbacks": 18, "satisfied": 18, "satisfaction_pct": 100.0},
        {"rank": 15, "name": "华润燃气有限公司", "callbacks": 18, "satisfied": 15, "satisfaction_pct": 83.33},
        {"rank": 16, "name": "市林草局", "callbacks": 16, "satisfied": 16, "satisfaction_pct": 100.0},
        {"rank": 17, "name": "市税务局", "callbacks": 13, "satisfied": 13, "satisfaction_pct": 100.0},
        {"rank": 18, "name": "海西电力格尔木分公司", "callbacks": 12, "satisfied": 11, "satisfaction_pct": 91.67},
        {"rank": 19, "name": "市消防救援支队", "callbacks": 11, "satisfied": 11, "satisfaction_pct": 100.0},
        {"rank": 20, "name": "移动公司", "callbacks": 11, "satisfied": 11, "satisfaction_pct": 100.0},
        {"rank": 21, "name": "市生态环境局", "callbacks": 10, "satisfied": 10, "satisfaction_pct": 100.0},
        {"rank": 22, "name": "盐湖集团", "callbacks": 8, "satisfied": 6, "satisfaction_pct": 75.0},
        {"rank": 23, "name": "市数据局", "callbacks": 8, "satisfied": 8, "satisfaction_pct": 100.0},
        {"rank": 24, "name": "市工业信息化和科技局", "callbacks": 7, "satisfied": 7, "satisfaction_pct": 100.0},
        {"rank": 25, "name": "市能源局", "callbacks": 7, "satisfied": 5, "satisfaction_pct": 71.43},
        {"rank": 26, "name": "农垦集团", "callbacks": 6, "satisfied": 6, "satisfaction_pct": 100.0},
        {"rank": 27, "name": "市文体旅游广电局", "callbacks": 6, "satisfied": 4, "satisfaction_pct": 66.67},
        {"rank": 28, "name": "电信公司", "callbacks": 5, "satisfied": 5, "satisfaction_pct": 100.0},
        {"rank": 29, "name": "水务集团有限公司", "callbacks": 5, "satisfied": 4, "satisfaction_pct": 80.0},
        {"rank": 30, "name": "联通公司", "callbacks": 4, "satisfied": 4, "satisfaction_pct": 100.0},
    ],
    # printed-only: the table's 总计 row (the 30 rows are every department with callbacks: they add up to it)
    "satisfaction_total": {"callbacks": 805, "satisfied": 767},
    "overdue_work_orders": [],  # filled below from _OVERDUE
    "hotspots": [
        {
            "category_l1": "政务咨询",
            "category_l2": "联系方式查询",
            "count": 1254,
            "mom_change_pct": None,
            "label_printed": "政务咨询",
        },
        {
            "category_l1": "公共服务",
            "category_l2": None,
            "count": 630,
            "mom_change_pct": None,
            "label_printed": "公共服务",
        },
        {
            "category_l1": "社会事业",
            "category_l2": "薪资拖欠",
            "count": 304,
            "mom_change_pct": None,
            "label_printed": "薪资拖欠",
        },
    ],
}

# 超期工单一览表: (序号, 工单编号, 承办单位 as printed, 应回复时间, 实际回复日期, 备注)
_OVERDUE = [
    (1, "HX24110160350008", "市卫生健康委员会", "2024-11-12", "2024-11-13", ""),
    (2, "HX24110160200019", "市卫生健康委员会", "2024-11-12", "2024-11-13", ""),
    (3, "HX24110460200014", "市卫生健康委员会", "2024-11-13", "2024-11-19", ""),
    (4, "HX24110460340030", "市卫生健康委员会", "2024-11-13", "2024-11-21", ""),
    (5, "HX24110560330020", "市卫生健康委员会", "2024-11-14", "2024-11-28", ""),
    (6, "HX24110560330044", "华润燃气有限公司", "2024-11-14", "2024-11-19", ""),
    (7, "HX24110560370063", "市卫生健康委员会", "2024-11-14", "2024-11-21", ""),
    (8, "HX24110660350002", "市城市管理局", "2024-11-15", "2024-11-18", ""),
    (9, "HX24110660380014", "市住房和城乡建设局 市城市管理局", "2024-11-15", "2024-11-25", "部门相互推诿导致超期"),
    (10, "HX24110760390004", "华润燃气有限公司", "2024-11-18", "2024-11-21", ""),
    (
        11,
        "HX24110760390041",
        "昆仑经济技术开发区 管委会",
        "2024-11-18",
        "2024-11-21",
        "11月18日工单到期之后退回导致超期",
    ),
    (12, "HX24110760350030", "华润燃气有限公司", "2024-11-18", "2024-11-27", ""),
    (13, "HX24110860370009", "市文体旅游广电局 市市场监督管理局", "2024-11-19", "2024-11-28", "部门相互推诿导致超期"),
    (14, "HX24110960390027", "卫生健康委员会", "2024-11-20", "2024-11-21", ""),
    (15, "HX24110960390038", "华润燃气有限公司", "2024-11-20", "2024-11-25", ""),
    (16, "HX24110960340038", "东城区行政委员会", "2024-11-20", "2024-11-28", ""),
    (17, "HX24111060330013", "市卫生健康委员会", "2024-11-20", "2024-11-21", ""),
    (18, "HX24111060350016", "华润燃气有限公司", "2024-11-20", "2024-11-25", ""),
    (19, "HX24111160350006", "市公安局", "2024-11-20", "2024-11-22", ""),
    (20, "HX24111260330036", "华润燃气有限公司", "2024-11-21", "2024-11-27", ""),
    (21, "HX24111260330054", "华润燃气有限公司", "2024-11-21", "2024-11-25", "11月22日工单超期后退回导致超期"),
    (22, "HX24111360200002", "市卫生健康委员会", "2024-11-22", "2024-12-03", ""),
    (23, "HX24111460390033", "华润燃气有限公司", "2024-11-25", "2024-11-27", ""),
    (24, "HX24111460330023", "市人民法院", "2024-11-25", "2024-12-05", ""),
    (25, "HX24111560350045", "华润燃气有限公司", "2024-11-26", "2024-11-27", ""),
    (26, "HX24111660390033", "市卫生健康委员会", "2024-11-27", "2024-12-03", ""),
    (27, "HX24111860390059", "华润燃气有限公司", "2024-11-27", "2024-11-28", ""),
    (28, "HX24111960280012", "市卫生健康委员会", "2024-11-28", "2024-12-03", ""),
    (29, "HX24112060340015", "市城市管理局", "2024-11-29", "2024-12-02", ""),
    (30, "HX24112060340023", "市综合行政执法局", "2024-12-03", "2024-12-04", ""),
    (31, "HX24112060310028", "盐湖集团", "2024-11-29", "2024-12-02", ""),
    (32, "HX24112060280054", "市城市管理局", "2024-11-29", "2024-12-02", ""),
    (33, "HX24112060310029", "盐湖集团", "2024-11-29", "2024-12-02", ""),
    (34, "HX24112060310031", "盐湖集团", "2024-11-29", "2024-12-02", ""),
    (35, "HX24112060310032", "盐湖集团", "2024-11-29", "2024-12-02", ""),
    (36, "HX24112060310034", "盐湖集团", "2024-11-29", "2024-12-02", ""),
    (37, "HX24112060280079", "市投资控股有限公司", "2024-11-29", "2024-12-03", ""),
    (38, "HX24112160380023", "市投资控股有限公司", "2024-12-02", "2024-12-03", ""),
    (39, "HX24112160380037", "市卫生健康委员会", "2024-12-02", "2024-12-03", ""),
    (40, "HX24112160310001", "市卫生健康委员会", "2024-12-02", "2024-12-03", ""),
    (41, "HX24112560200019", "华润燃气有限公司", "2024-12-04", "2024-12-05", ""),
]
#: canonical departments of the printed cells that are not one canonical name as printed
_OVERDUE_CANONICAL = {
    "市住房和城乡建设局 市城市管理局": ["市住房和城乡建设局", "市城市管理局"],
    "昆仑经济技术开发区 管委会": ["昆仑经济技术开发区管委会"],
    "市文体旅游广电局 市市场监督管理局": ["市文体旅游广电局", "市市场监督管理局"],
    "卫生健康委员会": ["市卫生健康委员会"],
}
REFERENCE["overdue_work_orders"] = [
    {
        "ticket_id": tid,
        "departments": _OVERDUE_CANONICAL.get(printed, [printed]),
        "departments_printed": printed,
        "due_date": due,
        "replied_date": replied,
        "remark": remark or None,
    }
    for _, tid, printed, due, replied, remark in _OVERDUE
]

#: Aliases the reference needs (a subset of dbt_project/seeds/department_aliases.csv), for tests that must not
#: depend on the seeds.
REFERENCE_ALIASES = {
    "卫生健康委员会": "市卫生健康委员会",
    "人力资源和社会保障": "市人力资源和社会保障局",
    "昆仑经济技术开发区 管委会": "昆仑经济技术开发区管委会",
    **{r["name"]: r["name"] for r in REFERENCE["departments"] if r["name"] != "其他单位"},
    "市人民法院": "市人民法院",
}


# ------------------------------------------------------------------------------------------------ helpers
_PRINTED_ONLY_TOP = ("departments_total", "satisfaction_total", "_printed")
_PRINTED_ONLY_ROW = {
    "departments": "name_printed",
    "satisfaction_by_department": "name_printed",
    "overdue_work_orders": "departments_printed",
    "hotspots": "label_printed",
}


def figures_only(figures: dict) -> dict:
    """A copy without the printed-only keys: what ``figures.json`` / ``recompute`` carry."""
    out = copy.deepcopy({k: v for k, v in figures.items() if k not in _PRINTED_ONLY_TOP})
    out["contacts"].pop("by_channel_pct", None)
    out["purpose"].pop("by_type_pct", None)
    for key, extra in _PRINTED_ONLY_ROW.items():
        for row in out.get(key, []):
            row.pop(extra, None)
    return out


def rank_groups(rows: list[dict], count_key: str) -> list[tuple[int, frozenset]]:
    """Ranked rows (without 其他单位) as (count, names with that count), in rank order: tied rows compare as
    sets. Each name carries its other columns so a tie group compares whole rows."""
    groups: list[tuple[int, set]] = []
    for r in rows:
        if r["name"] == "其他单位":
            continue
        item = tuple(sorted((k, v) for k, v in r.items() if k not in ("rank", "name_printed")))
        if groups and groups[-1][0] == r[count_key]:
            groups[-1][1].add(item)
        else:
            groups.append((r[count_key], {item}))
    return [(n, frozenset(s)) for n, s in groups]


def by_ticket(rows: list[dict]) -> dict[str, dict]:
    return {r["ticket_id"]: r for r in rows}

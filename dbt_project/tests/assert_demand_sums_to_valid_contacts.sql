-- 诉求分类 adds up to every contact that is not 无效 (= 来电总量 − 其他); the hot spots count the same contacts
-- (a rolled-up level-1 hot spot equals its demand row when that category is named).
with

demand as (select * from {{ ref('mart_demand') }}),

hotspots as (select * from {{ ref('mart_hotspots') }}),

kpis as (select * from {{ ref('mart_monthly_kpis') }})

select
    'demand sums to demand_total' as problem,
    k.demand_total as expected,
    (select sum(contacts) from demand) as actual
from kpis as k
where k.demand_total is distinct from (select sum(contacts) from demand)

union all

select
    'demand_total = total − 无效',
    k.contacts_total - k.contacts_other,
    k.demand_total
from kpis as k
where k.demand_total is distinct from k.contacts_total - k.contacts_other

union all

select
    'at most six named categories plus 其他',
    7,
    (select count(*) from demand)
where
    (
        select count(*) from demand
        where not is_other
    ) > 6
    or (
        select count(*) from demand
        where is_other
    ) <> 1

union all

select
    'hot spots within demand_total',
    k.demand_total,
    (select sum(contacts) from hotspots)
from kpis as k
where coalesce((select sum(contacts) from hotspots), 0) > k.demand_total

union all

select
    'rolled-up hot spot ' || h.category_l1 || ' = its demand row',
    d.contacts as expected,
    h.contacts as actual
from hotspots as h
inner join demand as d on h.category_l1 = d.category_l1 and not d.is_other
where
    h.category_l2 is null
    and h.category_l1 in (select category_l1 from {{ ref('hotspot_rollups') }})
    and h.contacts <> d.contacts

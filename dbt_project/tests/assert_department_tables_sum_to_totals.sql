-- Per-department tables count each work order (callback) once: they add up to the headline figures.
-- (Marts only: the nightly builds the facts with another cut-off, so no fact is referenced here.)
with

closure as (select * from {{ ref('mart_department_closure') }}),

satisfaction as (select * from {{ ref('mart_department_satisfaction') }}),

kpis as (select * from {{ ref('mart_monthly_kpis') }})

select
    'closure table work orders' as problem,
    k.work_orders_dispatched as expected,
    (select sum(work_orders) from closure) as actual
from kpis as k
where k.work_orders_dispatched is distinct from coalesce((select sum(work_orders) from closure), 0)

union all

select
    'closure table closed',
    k.work_orders_closed,
    (select sum(closed) from closure)
from kpis as k
where k.work_orders_closed is distinct from coalesce((select sum(closed) from closure), 0)

union all

select
    'satisfaction table callbacks',
    k.work_orders_callbacks,
    (select sum(callbacks) from satisfaction)
from kpis as k
where k.work_orders_callbacks is distinct from coalesce((select sum(callbacks) from satisfaction), 0)

union all

select
    'satisfaction table satisfied',
    k.work_orders_satisfied,
    (select sum(satisfied) from satisfaction)
from kpis as k
where k.work_orders_satisfied is distinct from coalesce((select sum(satisfied) from satisfaction), 0)

union all

select
    'ranks are 1..n',
    (select count(*) from closure),
    (select max(rank) from closure)
where (select count(*) from closure) <> coalesce((select max(rank) from closure), 0)

union all

select
    '其他单位 is present once and ranked last',
    1,
    (
        select count(*) from closure
        where is_other
    )
where
    (
        select count(*) from closure
        where is_other
    ) <> 1
    or (
        select rank from closure
        where is_other
    ) <> (select max(rank) from closure
    )

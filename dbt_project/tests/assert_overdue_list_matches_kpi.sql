-- The overdue list has exactly as many work orders as the 超期工单 figure, all received in the month.
with

overdue as (select * from {{ ref('mart_overdue_work_orders') }}),

kpis as (select * from {{ ref('mart_monthly_kpis') }})

select
    'overdue list length' as problem,
    k.work_orders_overdue as expected,
    (select count(*) from overdue) as actual
from kpis as k
where k.work_orders_overdue <> (select count(*) from overdue)

union all

select
    'overdue work order not received in the month: ' || o.ticket_id,
    null,
    null
from overdue as o
where strftime(o.received_at, '%Y-%m') <> o.month

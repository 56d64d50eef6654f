{#- 各单位工单办结率排序表 for var('month'): work orders received in the month, each once under its lead
    department (canonical name; 未指定承办单位 when none is named); the 30 largest are ranked (count desc, ties
    by name), the rest summed as 其他单位, always present (rank 31, or n + 1 with fewer departments). -#}
{%- set top_n = var('department_top_n') | int -%}
with

work_orders as (

    select * from {{ ref('fct_work_orders') }}
    where received_month = {{ month_literal() }}

),

by_department as (

    select
        coalesce(lead_department, '未指定承办单位') as department_name,
        count(*) as work_orders,
        count(*) filter (where is_closed) as closed
    from work_orders
    group by lead_department

),

ranked as (

    select
        *,
        row_number() over (order by work_orders desc, department_name asc) as department_rank
    from by_department

),

top_departments as (

    select
        department_rank as rank,
        department_name,
        work_orders,
        closed,
        false as is_other
    from ranked
    where department_rank <= {{ top_n }}

),

other_departments as (

    select
        (select count(*) from top_departments) + 1 as rank,
        '其他单位' as department_name,
        coalesce(sum(work_orders), 0) as work_orders,
        coalesce(sum(closed), 0) as closed,
        true as is_other
    from by_department
    where department_name not in (select department_name from top_departments)

),

final as (

    select
        {{ period_columns() }},
        cast(rank as integer) as rank,
        cast(department_name as varchar) as department_name,
        cast(work_orders as integer) as work_orders,
        cast(closed as integer) as closed,
        {{ rate_pct('closed', 'work_orders') }} as closure_rate_pct,
        is_other
    from (
        select * from top_departments
        union all
        select * from other_departments
    ) as table_rows

)

select * from final
order by rank

{#- 各单位回访满意度排序表 for var('month'): callbacks made in the month with a result of 满意, 基本满意 or 不满意,
    under the lead department of the work order called back (a work order of the previous month can be called
    back this month); the 30 largest ranked by callbacks (ties by name), + 其他单位 only when more than 30
    departments had callbacks. -#}
{%- set top_n = var('department_top_n') | int -%}
with

callbacks as (

    select * from {{ ref('fct_callbacks') }}
    where
        callback_month = {{ month_literal() }}
        and is_counted

),

by_department as (

    select
        coalesce(lead_department, '未指定承办单位') as department_name,
        count(*) as callbacks,
        count(*) filter (where is_satisfied) as satisfied
    from callbacks
    group by lead_department

),

ranked as (

    select
        *,
        row_number() over (order by callbacks desc, department_name asc) as department_rank
    from by_department

),

top_departments as (

    select
        department_rank as rank,
        department_name,
        callbacks,
        satisfied,
        false as is_other
    from ranked
    where department_rank <= {{ top_n }}

),

other_departments as (

    select
        (select count(*) from top_departments) + 1 as rank,
        '其他单位' as department_name,
        sum(callbacks) as callbacks,
        sum(satisfied) as satisfied,
        true as is_other
    from by_department
    where department_name not in (select department_name from top_departments)
    having count(*) > 0

),

final as (

    select
        {{ period_columns() }},
        cast(rank as integer) as rank,
        cast(department_name as varchar) as department_name,
        cast(callbacks as integer) as callbacks,
        cast(satisfied as integer) as satisfied,
        {{ rate_pct('satisfied', 'callbacks') }} as satisfaction_pct,
        is_other
    from (
        select * from top_departments
        union all
        select * from other_departments
    ) as table_rows

)

select * from final
order by rank

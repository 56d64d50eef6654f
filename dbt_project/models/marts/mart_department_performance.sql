{#- Beyond the bulletin: per lead department, for the work orders received in var('month') as of var('as_of'):
    按时办结率 (closed by the cut-off and replied by the due date / work orders), 回退率 (sent back at least once /
    work orders), 回访率 (called back with a counted result by the cut-off / closed), the open backlog at the end
    of the month (work orders received before the month ended and not closed by then, any month of receipt),
    and the median and 90th percentile of working days to reply. -#}
with

work_orders as (

    select
        *,
        coalesce(lead_department, '未指定承办单位') as department_name
    from {{ ref('fct_work_orders') }}

),

month_work_orders as (

    select * from work_orders
    where received_month = {{ month_literal() }}

),

cohort as (

    select
        department_name,
        count(*) as work_orders,
        count(*) filter (where is_closed) as closed,
        count(*) filter (where is_closed_on_time) as closed_on_time,
        count(*) filter (where is_returned) as returned,
        count(*) filter (where is_callback_counted) as called_back,
        count(*) filter (where is_overdue) as overdue,
        count(*) filter (where replied_at is not null) as replied,
        quantile_cont(working_days_to_reply, 0.5) as median_working_days_to_reply,
        quantile_cont(working_days_to_reply, 0.9) as p90_working_days_to_reply
    from month_work_orders
    group by department_name

),

backlog as (

    select
        department_name,
        count(*) as open_backlog_month_end
    from work_orders
    where
        received_at < {{ next_month_start() }}
        and (closed_at is null or closed_at >= {{ next_month_start() }})
    group by department_name

),

co_handled as (

    select
        department_name,
        count(*) as co_handled_work_orders
    from {{ ref('fct_work_order_departments') }}
    where
        received_month = {{ month_literal() }}
        and not is_lead
    group by department_name

),

departments as (

    select department_name from cohort
    union
    select department_name from backlog

),

final as (

    select
        {{ period_columns() }},
        cast(departments.department_name as varchar) as department_name,
        cast(coalesce(cohort.work_orders, 0) as integer) as work_orders,
        cast(coalesce(cohort.closed, 0) as integer) as closed,
        cast(coalesce(cohort.closed_on_time, 0) as integer) as closed_on_time,
        {{ rate_pct('coalesce(cohort.closed_on_time, 0)', 'cohort.work_orders') }} as on_time_closure_rate_pct,
        cast(coalesce(cohort.returned, 0) as integer) as returned,
        {{ rate_pct('coalesce(cohort.returned, 0)', 'cohort.work_orders') }} as return_rate_pct,
        cast(coalesce(cohort.called_back, 0) as integer) as called_back,
        {{ rate_pct('coalesce(cohort.called_back, 0)', 'cohort.closed') }} as callback_rate_pct,
        cast(coalesce(cohort.overdue, 0) as integer) as overdue,
        cast(coalesce(cohort.replied, 0) as integer) as replied,
        cast(round(cohort.median_working_days_to_reply, 2) as decimal(10, 2)) as median_working_days_to_reply,
        cast(round(cohort.p90_working_days_to_reply, 2) as decimal(10, 2)) as p90_working_days_to_reply,
        cast(coalesce(co_handled.co_handled_work_orders, 0) as integer) as co_handled_work_orders,
        cast(coalesce(backlog.open_backlog_month_end, 0) as integer) as open_backlog_month_end
    from departments
    left join cohort using (department_name)
    left join backlog using (department_name)
    left join co_handled using (department_name)

)

select * from final
order by work_orders desc, department_name asc

{#- Per lead department and day: work orders received, dispatched, replied, closed, and callbacks made
    (state as of the cut-off). Work orders without a department yet are under '未指定承办单位'. -#}
with

work_orders as (

    select
        *,
        coalesce(lead_department, '未指定承办单位') as department_name
    from {{ ref('fct_work_orders') }}

),

callbacks as (

    select
        *,
        coalesce(lead_department, '未指定承办单位') as department_name
    from {{ ref('fct_callbacks') }}
    where is_work_order

),

events as (

    select
        department_name,
        received_date as activity_date,
        'received' as event_kind,
        false as flag
    from work_orders
    union all
    select
        department_name,
        dispatch_date,
        'dispatched',
        false
    from work_orders
    where dispatch_date is not null
    union all
    select
        department_name,
        replied_date,
        'replied',
        is_overdue
    from work_orders
    where replied_date is not null
    union all
    select
        department_name,
        cast(closed_at as date),
        'closed',
        false
    from work_orders
    where closed_at is not null
    union all
    select
        department_name,
        callback_date,
        'callback',
        is_satisfied
    from callbacks
    where is_counted

),

final as (

    select
        department_name,
        activity_date,
        cast(count(*) filter (where event_kind = 'received') as integer) as work_orders_received,
        cast(count(*) filter (where event_kind = 'dispatched') as integer) as work_orders_dispatched,
        cast(count(*) filter (where event_kind = 'replied') as integer) as work_orders_replied,
        cast(count(*) filter (where event_kind = 'replied' and flag) as integer) as work_orders_replied_late,
        cast(count(*) filter (where event_kind = 'closed') as integer) as work_orders_closed,
        cast(count(*) filter (where event_kind = 'callback') as integer) as callbacks,
        cast(count(*) filter (where event_kind = 'callback' and flag) as integer) as callbacks_satisfied,
        {{ as_of_ts() }} as as_of
    from events
    group by department_name, activity_date

)

select * from final

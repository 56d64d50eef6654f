{#- 超期工单一览表 for var('month'): work orders received in the month replied after the due date, or unreplied
    at the cut-off with the due date passed. -#}
with

work_orders as (

    select * from {{ ref('fct_work_orders') }}
    where
        received_month = {{ month_literal() }}
        and is_overdue

),

departments as (

    select
        ticket_id,
        list(department_name order by department_position) as departments
    from {{ ref('fct_work_order_departments') }}
    where ticket_id in (select ticket_id from work_orders)
    group by ticket_id

),

final as (

    select
        {{ period_columns() }},
        cast(row_number() over (order by work_orders.received_at, work_orders.ticket_id) as integer) as seq,
        work_orders.ticket_id,
        cast(coalesce(departments.departments, []) as varchar[]) as departments,
        work_orders.departments_raw,
        work_orders.lead_department,
        work_orders.received_at,
        work_orders.due_date,
        work_orders.replied_date,
        work_orders.overdue_note as remark
    from work_orders
    left join departments using (ticket_id)

)

select * from final
order by seq

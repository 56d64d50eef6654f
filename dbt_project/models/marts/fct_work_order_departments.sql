with

departments as (

    select * from {{ ref('int_work_order_departments') }}

),

work_orders as (

    select
        ticket_id,
        received_month,
        is_closed,
        is_overdue,
        as_of
    from {{ ref('fct_work_orders') }}

),

final as (

    select
        departments.ticket_id,
        departments.department_position,
        departments.department_name,
        departments.department_text,
        departments.is_lead,
        departments.is_known_department,
        work_orders.received_month,
        work_orders.is_closed,
        work_orders.is_overdue,
        work_orders.as_of
    from departments
    inner join work_orders using (ticket_id)

)

select * from final

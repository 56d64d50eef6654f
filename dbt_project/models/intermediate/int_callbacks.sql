{#- One row per ticket called back by the cut-off (its latest callback as of then), with the lead department
    of the work order it belongs to. -#}
with

tickets as (

    select * from {{ ref('int_tickets_as_of') }}
    where callback_at is not null

),

leads as (

    select
        ticket_id,
        department_name
    from {{ ref('int_work_order_departments') }}
    where is_lead

),

final as (

    select
        tickets.ticket_id,
        tickets.callback_at,
        cast(tickets.callback_at as date) as callback_date,
        tickets.callback_month,
        tickets.callback_result,
        -- the bulletin counts callbacks of work orders only (热线对其中 N 件工单进行了回访)
        tickets.is_work_order and tickets.is_callback_counted as is_counted,
        tickets.is_work_order and tickets.is_callback_satisfied as is_satisfied,
        tickets.received_month,
        tickets.is_work_order,
        leads.department_name as lead_department
    from tickets
    left join leads using (ticket_id)

)

select * from final

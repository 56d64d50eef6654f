{#- One row per work order (办理方式 = 工单转办, any channel) received by the cut-off, state as of the cut-off. -#}
with

tickets as (

    select * from {{ ref('int_tickets_as_of') }}
    where is_work_order

),

due as (

    select * from {{ ref('int_work_orders_due') }}

),

departments as (

    select
        ticket_id,
        max(case when is_lead then department_name end) as lead_department,
        cast(count(*) as integer) as department_count,
        bool_or(not is_known_department) as has_unknown_department
    from {{ ref('int_work_order_departments') }}
    group by ticket_id

),

final as (

    select
        tickets.ticket_id,
        tickets.received_at,
        tickets.received_date,
        tickets.received_month,
        tickets.source_channel,
        tickets.category_l1,
        tickets.category_l2,
        tickets.departments_raw,
        departments.lead_department,
        coalesce(departments.department_count, 0) as department_count,
        coalesce(departments.has_unknown_department, false) as has_unknown_department,
        due.dispatched_at,
        due.dispatch_date,
        due.rule_due_date,
        due.calendar_gap_date,
        due.platform_due_date,
        due.due_date,
        due.is_extended,
        due.replied_at,
        due.replied_date,
        due.working_days_to_reply,
        coalesce(due.is_replied_on_time, false) as is_replied_on_time,
        due.is_overdue,
        tickets.closed_at,
        tickets.is_closed,
        tickets.is_closed and coalesce(due.is_replied_on_time, false) as is_closed_on_time,
        tickets.status,
        tickets.return_count,
        tickets.return_count > 0 as is_returned,
        tickets.callback_at,
        tickets.callback_result,
        tickets.is_callback_counted,
        tickets.is_callback_satisfied,
        tickets.overdue_note,
        tickets.as_of
    from tickets
    left join due using (ticket_id)
    left join departments using (ticket_id)

)

select * from final

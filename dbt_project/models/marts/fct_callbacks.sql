with

callbacks as (

    select * from {{ ref('int_callbacks') }}

),

final as (

    select
        ticket_id,
        callback_at,
        callback_date,
        callback_month,
        callback_result,
        is_counted,
        is_satisfied,
        received_month,
        is_work_order,
        lead_department,
        {{ as_of_ts() }} as as_of
    from callbacks

)

select * from final

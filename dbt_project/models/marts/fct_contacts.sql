{#- Every contact (ticket) received by the cut-off, in its state as of the cut-off, with the bulletin's
    channel and purpose buckets.
    A view: one contact is one ticket of int_tickets_as_of, which is already kept up to date ticket by ticket;
    a second copy of its 21 M rows a year cost 20 s of every full build and the work of every nightly. The
    marts read one month of it at a time. -#}
{{ config(materialized='view') }}
with

tickets as (

    select * from {{ ref('int_tickets_as_of') }}

),

final as (

    select
        ticket_id,
        received_at,
        received_date,
        received_month,
        source_channel,
        handling,
        case source_channel
            when '中国政府网' then '中国政府网转办'
            when '省州系统' then '省州系统转办'
            when '微信' then '微信端转办'
            else case handling
                when '直接答复' then '直接答复'
                when '工单转办' then '工单转办'
                else '其他'
            end
        end as channel_group,
        special_line,
        purpose,
        case when purpose in ('咨询', '求助', '投诉', '建议') then purpose else '其他' end as purpose_group,
        category_l1,
        category_l2,
        caller_key,
        not is_invalid as is_valid,
        is_work_order,
        is_transfer,
        is_closed,
        status,
        version_count,
        as_of
    from tickets

)

select * from final

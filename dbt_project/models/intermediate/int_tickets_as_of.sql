{#- One row per ticket received by the cut-off var('as_of'): the version in force then
    (valid_from <= as_of < valid_to, int_ticket_versions); an event counts only if its own timestamp <= as_of,
    otherwise it has not happened yet. A view: the cut-off is a filter, any month can be computed as of any
    cut-off from the stored history. -#}
{{ config(materialized='view') }}
with

in_force as (

    select * from {{ ref('int_ticket_versions') }}
    where
        valid_from <= {{ as_of_ts() }}
        and (valid_to is null or valid_to > {{ as_of_ts() }})

),

events_as_of as (

    select
        ticket_id,
        received_at,
        source_channel,
        special_line,
        purpose,
        category_l1,
        category_l2,
        caller_key,
        handling,
        departments_raw,
        case when dispatched_at <= {{ as_of_ts() }} then dispatched_at end as dispatched_at,
        reply_due_date,
        case when replied_at <= {{ as_of_ts() }} then replied_at end as replied_at,
        case when closed_at <= {{ as_of_ts() }} then closed_at end as closed_at,
        status,
        return_count,
        case when callback_at <= {{ as_of_ts() }} then callback_at end as callback_at,
        case when callback_at <= {{ as_of_ts() }} then callback_result end as callback_result,
        overdue_note,
        updated_at,
        export_date as state_export_date,
        version_number as version_count
    from in_force
    where received_at <= {{ as_of_ts() }}

),

final as (

    select
        e.ticket_id,
        e.received_at,
        cast(e.received_at as date) as received_date,
        strftime(e.received_at, '%Y-%m') as received_month,
        e.source_channel,
        e.special_line,
        e.purpose,
        e.category_l1,
        e.category_l2,
        e.caller_key,
        e.handling,
        e.handling = '无效' as is_invalid,
        e.handling = '工单转办' as is_work_order,
        e.source_channel <> '电话' as is_transfer,
        e.departments_raw,
        e.dispatched_at,
        e.reply_due_date,
        e.replied_at,
        e.closed_at,
        e.closed_at is not null as is_closed,
        e.status,
        e.return_count,
        e.callback_at,
        e.callback_result,
        strftime(e.callback_at, '%Y-%m') as callback_month,
        coalesce(results.is_counted, false) as is_callback_counted,
        coalesce(results.is_satisfied, false) as is_callback_satisfied,
        e.overdue_note,
        e.updated_at,
        e.state_export_date,
        e.version_count,
        {{ as_of_ts() }} as as_of
    from events_as_of as e
    left join {{ ref('callback_results') }} as results
        on e.callback_result = results.callback_result

)

select * from final

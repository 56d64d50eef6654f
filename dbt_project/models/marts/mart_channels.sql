{#- 来电总量 of var('month') by channel (一、热线运行总体情况), with each channel's share, the work-order channels'
    closure, and the month-over-month change of the total. -#}
with

contacts as (

    select * from {{ ref('fct_contacts') }}
    where received_month in ({{ month_literal() }}, {{ previous_month_literal() }})

),

channels as (

    select
        display_order,
        channel_group as channel,
        is_work_order_channel
    from {{ ref('bulletin_channels') }}

),

counts as (

    select
        channel_group as channel,
        count(*) as contacts,
        count(*) filter (where is_work_order and is_closed) as closed
    from contacts
    where received_month = {{ month_literal() }}
    group by channel_group

),

totals as (

    select
        count(*) filter (where received_month = {{ month_literal() }}) as month_total,
        count(*) filter (where received_month = {{ previous_month_literal() }}) as previous_month_total
    from contacts

),

final as (

    select
        {{ period_columns() }},
        cast(channels.display_order as integer) as display_order,
        cast(channels.channel as varchar) as channel,
        cast(coalesce(counts.contacts, 0) as integer) as contacts,
        {{ rate_pct('coalesce(counts.contacts, 0)', 'totals.month_total') }} as share_pct,
        cast(case when channels.is_work_order_channel then coalesce(counts.closed, 0) end as integer) as closed,
        case
            when channels.is_work_order_channel
                then {{ rate_pct('coalesce(counts.closed, 0)', 'coalesce(counts.contacts, 0)') }}
        end
            as closure_rate_pct,
        cast(totals.month_total as integer) as month_total,
        cast(totals.previous_month_total as integer) as previous_month_total,
        {{ change_pct('totals.month_total', 'totals.previous_month_total') }} as mom_change_pct
    from channels
    cross join totals
    left join counts on channels.channel = counts.channel

)

select * from final
order by display_order

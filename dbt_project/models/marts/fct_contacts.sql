{#- Every contact (ticket) received by the cut-off, in its state as of the cut-off, with the bulletin's
    channel and purpose buckets (seeds bulletin_channels, bulletin_purposes).
    A view: one contact is one ticket of int_tickets_as_of; the marts read one month of it at a time. -#}
{{ config(materialized='view') }}
with

tickets as (

    select * from {{ ref('int_tickets_as_of') }}

),

-- a transfer channel is its own bucket whatever the handling; a phone contact is bucketed by its handling
transfer_buckets as (

    select
        source_channel,
        channel_group
    from {{ ref('bulletin_channels') }}
    where source_channel is not null

),

handling_buckets as (

    select
        handling,
        channel_group
    from {{ ref('bulletin_channels') }}
    where source_channel is null and handling is not null

),

other_bucket as (

    select channel_group from {{ ref('bulletin_channels') }}
    where source_channel is null and handling is null

),

purposes as (

    select
        purpose,
        purpose_group
    from {{ ref('bulletin_purposes') }}

),

final as (

    select
        tickets.ticket_id,
        tickets.received_at,
        tickets.received_date,
        tickets.received_month,
        tickets.source_channel,
        tickets.handling,
        coalesce(
            transfer_buckets.channel_group,
            handling_buckets.channel_group,
            (select other_bucket.channel_group from other_bucket)
        ) as channel_group,
        tickets.special_line,
        tickets.purpose,
        -- 诉求目的 is required and one of the contract's values (the loader quarantines others)
        purposes.purpose_group,
        tickets.category_l1,
        tickets.category_l2,
        tickets.caller_key,
        not tickets.is_invalid as is_valid,
        tickets.is_work_order,
        tickets.is_transfer,
        tickets.is_closed,
        tickets.status,
        tickets.version_count,
        tickets.as_of
    from tickets
    left join transfer_buckets on tickets.source_channel = transfer_buckets.source_channel
    left join handling_buckets on tickets.handling = handling_buckets.handling
    left join purposes on tickets.purpose = purposes.purpose

)

select * from final

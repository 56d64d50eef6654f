-- depends_on: {{ ref('int_tickets_as_of') }}
{#- delete+insert by ticket: the pre-hook deletes (also the tickets that dropped out), dbt appends -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    unique_key='ticket_id',
    on_schema_change='fail',
    pre_hook="{{ recomputed_tickets_pre_hook() }}",
    post_hook=["{{ record_consumed_batch() }}", "{{ move_as_of_post_hook() }}"]
) }}
with

callbacks as (

    select * from {{ ref('int_callbacks') }}
    where true {{ recomputed_tickets_filter() }}

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

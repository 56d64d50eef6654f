{#- The ticket history: one row per ticket version (a staging row), valid from its 更新时间 until the next
    version's (ordered by 更新时间, then the later export, then the later row; valid_to NULL = still in force).
    The state as of any cut-off is a filter on it (int_tickets_as_of), so no cut-off is stored here.
    Incremental by export day: a run takes the days loaded since the newest version here (new and re-delivered
    days) and rewrites every version of the tickets they touch, so that their neighbours are re-linked
    (strategy `ticket_versions`, macros/ticket_versions.sql). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='ticket_versions',
    unique_key='ticket_id',
    on_schema_change='fail'
) }}
with

{% if is_incremental() -%}
    changed_days as (

        {{ changed_export_dates(this) }}

    ),

    -- tickets with a row on a changed day, in the new delivery or in the one it replaced
    touched as (

        select ticket_id from {{ ref('stg_hotline__ticket_rows') }}
        where export_date in (select export_date from changed_days)
        union
        select ticket_id from {{ this }}
        where export_date in (select export_date from changed_days)

    ),

{% endif -%}
staged as (

    select * from {{ ref('stg_hotline__ticket_rows') }}
    {%- if is_incremental() %}
        where ticket_id in (select ticket_id from touched)
    {%- endif %}

),

versions as (

    select
        staged.*,
        staged.updated_at as valid_from,
        lead(staged.updated_at) over by_ticket as valid_to,
        cast(row_number() over by_ticket as integer) as version_number
    from staged
    window by_ticket as (partition by ticket_id order by updated_at, export_date, row_number)

)

select * from versions

-- depends_on: {{ ref('int_tickets_as_of') }}
{#- delete+insert by ticket: the pre-hook deletes (also the tickets that dropped out), dbt appends -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    unique_key='ticket_id',
    on_schema_change='fail',
    pre_hook="{{ recomputed_tickets_pre_hook() }}",
    post_hook=["{{ record_consumed_batch() }}", "{{ work_order_departments_as_of_post_hook() }}"]
) }}
with

departments as (

    select * from {{ ref('int_work_order_departments') }}
    where true {{ recomputed_tickets_filter() }}

),

work_orders as (

    select ticket_id, received_month, is_closed, is_overdue, as_of from {{ ref('fct_work_orders') }}
    where true {{ recomputed_tickets_filter() }}

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

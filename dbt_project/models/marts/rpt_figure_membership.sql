{#- Who counts in which figure of var('month')'s bulletin: one row per ticket × figure key × role (count, or
    the numerator / denominator of a rate). The headline figures (mart_monthly_kpis) are its counts; the
    published evidence.parquet is this table; the gate checks every published figure against it.
    The department, demand and hot-spot tables rank in their marts (top N + 其他); their rows here follow the
    names those marts publish. -#}
with

contacts as (

    select * from {{ ref('fct_contacts') }}
    where received_month = {{ month_literal() }}

),

work_orders as (

    select
        ticket_id,
        is_closed,
        is_overdue,
        coalesce(lead_department, '未指定承办单位') as department_name
    from {{ ref('fct_work_orders') }}
    where received_month = {{ month_literal() }}

),

-- the bulletin counts callbacks of work orders with a result (int_callbacks.is_counted), by callback month
callbacks as (

    select
        ticket_id,
        is_satisfied,
        coalesce(lead_department, '未指定承办单位') as department_name
    from {{ ref('fct_callbacks') }}
    where callback_month = {{ month_literal() }} and is_counted

),

named_closure as (

    select department_name from {{ ref('mart_department_closure') }}
    where month = {{ month_literal() }} and not is_other

),

named_satisfaction as (

    select department_name from {{ ref('mart_department_satisfaction') }}
    where month = {{ month_literal() }} and not is_other

),

named_demand as (

    select category_l1 from {{ ref('mart_demand') }}
    where month = {{ month_literal() }} and not is_other

),

hotspots as (

    select
        hotspot_key,
        category_l1,
        category_l2
    from {{ ref('mart_hotspots') }}
    where month = {{ month_literal() }}

),

work_order_rows as (

    select
        *,
        case
            when department_name in (select department_name from named_closure)
                then department_name
            else '其他单位'
        end as table_department
    from work_orders

),

callback_rows as (

    select
        *,
        case
            when department_name in (select department_name from named_satisfaction)
                then department_name
            else '其他单位'
        end as table_department
    from callbacks

),

members as (

    select
        'contacts.total' as figure_key,
        'count' as role,
        ticket_id
    from contacts
    union all
    select
        'contacts.by_channel.' || channel_group,
        'count',
        ticket_id
    from contacts
    union all
    select
        'contacts.work_order_channel_closed',
        'count',
        ticket_id
    from contacts
    where channel_group = '工单转办' and is_closed
    union all
    select
        'contacts.work_order_channel_closure_rate_pct',
        'numerator',
        ticket_id
    from contacts
    where channel_group = '工单转办' and is_closed
    union all
    select
        'contacts.work_order_channel_closure_rate_pct',
        'denominator',
        ticket_id
    from contacts
    where channel_group = '工单转办'
    union all
    select
        'special_lines.total',
        'count',
        ticket_id
    from contacts
    where special_line is not null
    union all
    select
        'special_lines.by_category.' || special_line,
        'count',
        ticket_id
    from contacts
    where special_line is not null
    union all
    select
        'purpose.total',
        'count',
        ticket_id
    from contacts
    where source_channel = '电话' and is_valid
    union all
    select
        'purpose.by_type.' || purpose_group,
        'count',
        ticket_id
    from contacts
    where source_channel = '电话' and is_valid
    union all
    select
        'demand.total',
        'count',
        ticket_id
    from contacts
    where is_valid
    union all
    select
        'demand.by_category.'
        || case when category_l1 in (select category_l1 from named_demand) then category_l1 else '其他' end,
        'count',
        ticket_id
    from contacts
    where is_valid
    union all
    select
        'work_orders.dispatched',
        'count',
        ticket_id
    from work_orders
    union all
    select
        'work_orders.closed',
        'count',
        ticket_id
    from work_orders
    where is_closed
    union all
    select
        'work_orders.closure_rate_pct',
        'numerator',
        ticket_id
    from work_orders
    where is_closed
    union all
    select
        'work_orders.closure_rate_pct',
        'denominator',
        ticket_id
    from work_orders
    union all
    select
        'work_orders.overdue',
        'count',
        ticket_id
    from work_orders
    where is_overdue
    union all
    select
        'work_orders.callbacks',
        'count',
        ticket_id
    from callbacks
    union all
    select
        'work_orders.satisfied',
        'count',
        ticket_id
    from callbacks
    where is_satisfied
    union all
    select
        'work_orders.satisfaction_pct',
        'numerator',
        ticket_id
    from callbacks
    where is_satisfied
    union all
    select
        'work_orders.satisfaction_pct',
        'denominator',
        ticket_id
    from callbacks
    union all
    select
        'departments.' || table_department || '.work_orders',
        'count',
        ticket_id
    from work_order_rows
    union all
    select
        'departments.' || table_department || '.closed',
        'count',
        ticket_id
    from work_order_rows
    where is_closed
    union all
    select
        'satisfaction_by_department.' || table_department || '.callbacks',
        'count',
        ticket_id
    from callback_rows
    union all
    select
        'satisfaction_by_department.' || table_department || '.satisfied',
        'count',
        ticket_id
    from callback_rows
    where is_satisfied
    union all
    select
        'hotspots.' || hotspots.hotspot_key || '.count',
        'count',
        contacts.ticket_id
    from contacts
    inner join hotspots
        on
            contacts.category_l1 = hotspots.category_l1
            and (hotspots.category_l2 is null or contacts.category_l2 = hotspots.category_l2)
    where contacts.is_valid

),

final as (

    select
        cast({{ month_literal() }} as varchar) as month,
        cast(figure_key as varchar) as figure_key,
        cast(role as varchar) as role,
        cast(ticket_id as varchar) as ticket_id
    from members

)

select * from final

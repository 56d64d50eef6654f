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

-- one pass per source: each ticket's figures as a list of (figure key, role), NULL where it does not count
contact_members as (

    select
        contacts.ticket_id,
        unnest([
            { 'figure_key': 'contacts.total', 'role': 'count' },
            { 'figure_key': 'contacts.by_channel.' || contacts.channel_group, 'role': 'count' },
            case
                when contacts.channel_group = '工单转办' and contacts.is_closed
                    then
                        { 'figure_key': 'contacts.work_order_channel_closed', 'role': 'count' }
            end,
            case
                when contacts.channel_group = '工单转办' and contacts.is_closed
                    then
                        { 'figure_key': 'contacts.work_order_channel_closure_rate_pct', 'role': 'numerator' }
            end,
            case
                when contacts.channel_group = '工单转办'
                    then
                        { 'figure_key': 'contacts.work_order_channel_closure_rate_pct', 'role': 'denominator' }
            end,
            case
                when contacts.special_line is not null
                    then
                        { 'figure_key': 'special_lines.total', 'role': 'count' }
            end,
            case
                when contacts.special_line is not null
                    then
                        { 'figure_key': 'special_lines.by_category.' || contacts.special_line, 'role': 'count' }
            end,
            case
                when contacts.source_channel = '电话' and contacts.is_valid
                    then
                        { 'figure_key': 'purpose.total', 'role': 'count' }
            end,
            case
                when contacts.source_channel = '电话' and contacts.is_valid
                    then
                        { 'figure_key': 'purpose.by_type.' || contacts.purpose_group, 'role': 'count' }
            end,
            case when contacts.is_valid then { 'figure_key': 'demand.total', 'role': 'count' } end,
            case
                when contacts.is_valid
                    then
                        {
                            'figure_key': 'demand.by_category.' || coalesce(named_demand.category_l1, '其他'),
                            'role': 'count'
                        }
            end
        ]) as member
    from contacts
    left join named_demand on contacts.category_l1 = named_demand.category_l1

),

work_order_members as (

    select
        work_orders.ticket_id,
        unnest([
            { 'figure_key': 'work_orders.dispatched', 'role': 'count' },
            case when work_orders.is_closed then { 'figure_key': 'work_orders.closed', 'role': 'count' } end,
            case
                when work_orders.is_closed
                    then
                        { 'figure_key': 'work_orders.closure_rate_pct', 'role': 'numerator' }
            end,
            { 'figure_key': 'work_orders.closure_rate_pct', 'role': 'denominator' },
            case when work_orders.is_overdue then { 'figure_key': 'work_orders.overdue', 'role': 'count' } end,
            {
                'figure_key': 'departments.' || coalesce(named_closure.department_name, '其他单位') || '.work_orders',
                'role': 'count'
            },
            case when work_orders.is_closed then {
                'figure_key': 'departments.' || coalesce(named_closure.department_name, '其他单位') || '.closed',
                'role': 'count'
            } end
        ]) as member
    from work_orders
    left join named_closure on work_orders.department_name = named_closure.department_name

),

callback_members as (

    select
        callbacks.ticket_id,
        unnest([
            { 'figure_key': 'work_orders.callbacks', 'role': 'count' },
            case when callbacks.is_satisfied then { 'figure_key': 'work_orders.satisfied', 'role': 'count' } end,
            case
                when callbacks.is_satisfied
                    then
                        { 'figure_key': 'work_orders.satisfaction_pct', 'role': 'numerator' }
            end,
            { 'figure_key': 'work_orders.satisfaction_pct', 'role': 'denominator' },
            {
                'figure_key': 'satisfaction_by_department.'
                || coalesce(named_satisfaction.department_name, '其他单位') || '.callbacks',
                'role': 'count'
            },
            case when callbacks.is_satisfied then {
                'figure_key': 'satisfaction_by_department.'
                || coalesce(named_satisfaction.department_name, '其他单位') || '.satisfied',
                'role': 'count'
            } end
        ]) as member
    from callbacks
    left join named_satisfaction on callbacks.department_name = named_satisfaction.department_name

),

hotspot_members as (

    select
        contacts.ticket_id,
        { 'figure_key': 'hotspots.' || hotspots.hotspot_key || '.count', 'role': 'count' } as member
    from contacts
    inner join hotspots
        on
            contacts.category_l1 = hotspots.category_l1
            and (hotspots.category_l2 is null or contacts.category_l2 = hotspots.category_l2)
    where contacts.is_valid

),

members as (

    select
        all_members.ticket_id,
        member.figure_key,
        member.role
    from (
        select * from contact_members
        union all
        select * from work_order_members
        union all
        select * from callback_members
        union all
        select * from hotspot_members
    ) as all_members
    where all_members.member is not null

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

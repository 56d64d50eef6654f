{#- Every headline figure of the bulletin for var('month'), as of var('as_of'), in one row. Computed from the
    facts directly (not from the other marts) so that the invariant tests cross-check the two. -#}
with

contacts as (

    select * from {{ ref('fct_contacts') }}
    where received_month in ({{ month_literal() }}, {{ previous_month_literal() }})

),

month_contacts as (

    select * from contacts where received_month = {{ month_literal() }}

),

contact_figures as (

    select
        count(*) as contacts_total,
        (select count(*) from contacts where received_month = {{ previous_month_literal() }})
            as contacts_previous_total,
        count(*) filter (where source_channel = '中国政府网') as contacts_gov_portal,
        count(*) filter (where source_channel = '省州系统') as contacts_province_system,
        count(*) filter (where source_channel = '微信') as contacts_wechat,
        count(*) filter (where source_channel = '电话' and handling = '直接答复') as contacts_direct_answer,
        count(*) filter (where source_channel = '电话' and handling = '工单转办') as contacts_work_order,
        count(*) filter (where source_channel = '电话' and handling not in ('直接答复', '工单转办'))
            as contacts_other,
        count(*) filter (where source_channel = '电话' and handling = '工单转办' and is_closed)
            as work_order_channel_closed,
        count(*) filter (where special_line is not null) as special_lines_total,
        count(*) filter (where special_line = '环境保护') as special_line_environment,
        count(*) filter (where special_line = '营商环境') as special_line_business,
        count(*) filter (where special_line = '安全生产') as special_line_safety,
        count(*) filter (where special_line = '办不成事') as special_line_unresolved,
        count(*) filter (where source_channel = '电话' and is_valid) as purpose_total,
        count(*) filter (where source_channel = '电话' and is_valid and purpose = '咨询') as purpose_consult,
        count(*) filter (where source_channel = '电话' and is_valid and purpose = '求助') as purpose_help,
        count(*) filter (where source_channel = '电话' and is_valid and purpose = '投诉') as purpose_complaint,
        count(*) filter (where source_channel = '电话' and is_valid and purpose = '建议') as purpose_suggestion,
        count(*) filter (where source_channel = '电话' and is_valid
                         and (purpose is null or purpose not in ('咨询', '求助', '投诉', '建议'))) as purpose_other,
        count(*) filter (where is_valid) as demand_total
    from month_contacts

),

work_order_figures as (

    select
        count(*) as work_orders_dispatched,
        count(*) filter (where is_closed) as work_orders_closed,
        count(*) filter (where is_overdue) as work_orders_overdue,
        count(*) filter (where has_unknown_department) as work_orders_unknown_department
    from {{ ref('fct_work_orders') }}
    where received_month = {{ month_literal() }}

),

callback_figures as (

    select
        count(*) as callbacks,
        count(*) filter (where is_satisfied) as callbacks_satisfied
    from {{ ref('fct_callbacks') }}
    where callback_month = {{ month_literal() }}
      and is_counted

),

final as (

    select
        {{ period_columns() }},
        cast(c.contacts_total as integer) as contacts_total,
        cast(c.contacts_previous_total as integer) as contacts_previous_total,
        {{ change_pct('c.contacts_total', 'c.contacts_previous_total') }} as contacts_mom_change_pct,
        cast(c.contacts_gov_portal as integer) as contacts_gov_portal,
        cast(c.contacts_province_system as integer) as contacts_province_system,
        cast(c.contacts_wechat as integer) as contacts_wechat,
        cast(c.contacts_direct_answer as integer) as contacts_direct_answer,
        cast(c.contacts_work_order as integer) as contacts_work_order,
        cast(c.contacts_other as integer) as contacts_other,
        cast(c.work_order_channel_closed as integer) as work_order_channel_closed,
        {{ rate_pct('c.work_order_channel_closed', 'c.contacts_work_order') }} as work_order_channel_closure_rate_pct,
        cast(c.special_lines_total as integer) as special_lines_total,
        cast(c.special_line_environment as integer) as special_line_environment,
        cast(c.special_line_business as integer) as special_line_business,
        cast(c.special_line_safety as integer) as special_line_safety,
        cast(c.special_line_unresolved as integer) as special_line_unresolved,
        cast(c.purpose_total as integer) as purpose_total,
        cast(c.purpose_consult as integer) as purpose_consult,
        cast(c.purpose_help as integer) as purpose_help,
        cast(c.purpose_complaint as integer) as purpose_complaint,
        cast(c.purpose_suggestion as integer) as purpose_suggestion,
        cast(c.purpose_other as integer) as purpose_other,
        cast(c.demand_total as integer) as demand_total,
        cast(w.work_orders_dispatched as integer) as work_orders_dispatched,
        cast(w.work_orders_closed as integer) as work_orders_closed,
        {{ rate_pct('w.work_orders_closed', 'w.work_orders_dispatched') }} as work_orders_closure_rate_pct,
        cast(w.work_orders_overdue as integer) as work_orders_overdue,
        cast(cb.callbacks as integer) as work_orders_callbacks,
        cast(cb.callbacks_satisfied as integer) as work_orders_satisfied,
        {{ rate_pct('cb.callbacks_satisfied', 'cb.callbacks') }} as work_orders_satisfaction_pct,
        cast(w.work_orders_unknown_department as integer) as work_orders_unknown_department
    from contact_figures as c
    cross join work_order_figures as w
    cross join callback_figures as cb

)

select * from final

{#- Every headline figure of the bulletin for var('month'), as of var('as_of'), in one row: the counts of
    rpt_figure_membership (where each figure is defined), the rates and the month-over-month change from them. -#}
with

figures as (

    select
        figure_key,
        count(*) as tickets
    from {{ ref('rpt_figure_membership') }}
    where role = 'count'
    group by figure_key

),

contact_figures as (

    select
        coalesce(sum(tickets) filter (where figure_key = 'contacts.total'), 0) as contacts_total,
        (
            select count(*) from {{ ref('fct_contacts') }}
            where received_month = {{ previous_month_literal() }})
            as contacts_previous_total,
        coalesce(sum(tickets) filter (where figure_key = 'contacts.by_channel.中国政府网转办'), 0) as contacts_gov_portal,
        coalesce(sum(tickets) filter (where figure_key = 'contacts.by_channel.省州系统转办'), 0)
            as contacts_province_system,
        coalesce(sum(tickets) filter (where figure_key = 'contacts.by_channel.微信端转办'), 0) as contacts_wechat,
        coalesce(sum(tickets) filter (where figure_key = 'contacts.by_channel.直接答复'), 0) as contacts_direct_answer,
        coalesce(sum(tickets) filter (where figure_key = 'contacts.by_channel.工单转办'), 0) as contacts_work_order,
        coalesce(sum(tickets) filter (where figure_key = 'contacts.by_channel.其他'), 0) as contacts_other,
        coalesce(sum(tickets) filter (where figure_key = 'contacts.work_order_channel_closed'), 0)
            as work_order_channel_closed,
        coalesce(sum(tickets) filter (where figure_key = 'special_lines.total'), 0) as special_lines_total,
        coalesce(sum(tickets) filter (where figure_key = 'special_lines.by_category.环境保护'), 0)
            as special_line_environment,
        coalesce(sum(tickets) filter (where figure_key = 'special_lines.by_category.营商环境'), 0)
            as special_line_business,
        coalesce(sum(tickets) filter (where figure_key = 'special_lines.by_category.安全生产'), 0)
            as special_line_safety,
        coalesce(sum(tickets) filter (where figure_key = 'special_lines.by_category.办不成事'), 0)
            as special_line_unresolved,
        coalesce(sum(tickets) filter (where figure_key = 'purpose.total'), 0) as purpose_total,
        coalesce(sum(tickets) filter (where figure_key = 'purpose.by_type.咨询'), 0) as purpose_consult,
        coalesce(sum(tickets) filter (where figure_key = 'purpose.by_type.求助'), 0) as purpose_help,
        coalesce(sum(tickets) filter (where figure_key = 'purpose.by_type.投诉'), 0) as purpose_complaint,
        coalesce(sum(tickets) filter (where figure_key = 'purpose.by_type.建议'), 0) as purpose_suggestion,
        coalesce(sum(tickets) filter (where figure_key = 'purpose.by_type.其他'), 0) as purpose_other,
        coalesce(sum(tickets) filter (where figure_key = 'demand.total'), 0) as demand_total
    from figures

),

work_order_figures as (

    select
        coalesce(sum(tickets) filter (where figure_key = 'work_orders.dispatched'), 0) as work_orders_dispatched,
        coalesce(sum(tickets) filter (where figure_key = 'work_orders.closed'), 0) as work_orders_closed,
        coalesce(sum(tickets) filter (where figure_key = 'work_orders.overdue'), 0) as work_orders_overdue,
        -- a data-quality figure, not a bulletin one (hotline.quality names these work orders)
        (
            select count(*) from {{ ref('fct_work_orders') }}
            where received_month = {{ month_literal() }} and has_unknown_department
        ) as work_orders_unknown_department
    from figures

),

callback_figures as (

    select
        coalesce(sum(tickets) filter (where figure_key = 'work_orders.callbacks'), 0) as callbacks,
        coalesce(sum(tickets) filter (where figure_key = 'work_orders.satisfied'), 0) as callbacks_satisfied
    from figures

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

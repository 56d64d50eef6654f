{#- 目的分类 of var('month'): phone contacts that are not 无效, by purpose; 其他类 = 表扬 + 其他. -#}
with

contacts as (

    select * from {{ ref('fct_contacts') }}
    where
        received_month = {{ month_literal() }}
        and source_channel = '电话'
        and is_valid

),

purposes as (

    select
        purpose_group as purpose,
        min(display_order) as display_order
    from {{ ref('bulletin_purposes') }}
    group by purpose_group

),

counts as (

    select
        purpose_group as purpose,
        count(*) as contacts
    from contacts
    group by purpose_group

),

totals as (

    select count(*) as purpose_total from contacts

),

final as (

    select
        {{ period_columns() }},
        cast(purposes.display_order as integer) as display_order,
        cast(purposes.purpose as varchar) as purpose,
        cast(coalesce(counts.contacts, 0) as integer) as contacts,
        {{ rate_pct('coalesce(counts.contacts, 0)', 'totals.purpose_total') }} as share_pct,
        cast(totals.purpose_total as integer) as purpose_total
    from purposes
    cross join totals
    left join counts using (purpose)

)

select * from final
order by display_order

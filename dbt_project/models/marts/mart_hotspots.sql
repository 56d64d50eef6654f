{#- 主要热点 for var('month'): contacts that are not 无效, by 二级分类 (a level-1 category listed in
    hotspot_rollups counts as one hot spot, category_l2 NULL), the top var('hotspot_top_n', 10) by count (ties by
    name), with the month-over-month change. -#}
{%- set top_n = var('hotspot_top_n') | int -%}
with

contacts as (

    select
        fct_contacts.received_month,
        fct_contacts.category_l1,
        case when rollups.category_l1 is null then fct_contacts.category_l2 end as category_l2
    from {{ ref('fct_contacts') }} as fct_contacts
    left join {{ ref('hotspot_rollups') }} as rollups
        on fct_contacts.category_l1 = rollups.category_l1
    where
        fct_contacts.received_month in ({{ month_literal() }}, {{ previous_month_literal() }})
        and fct_contacts.is_valid

),

counts as (

    select
        category_l1,
        category_l2,
        count(*) filter (where received_month = {{ month_literal() }}) as contacts,
        count(*) filter (where received_month = {{ previous_month_literal() }}) as previous_month_contacts
    from contacts
    group by category_l1, category_l2

),

ranked as (

    select
        *,
        row_number() over (order by contacts desc, coalesce(category_l1, ''), coalesce(category_l2, '')) as hotspot_rank
    from counts
    where contacts > 0

),

final as (

    select
        {{ period_columns() }},
        cast(hotspot_rank as integer) as rank,
        cast(coalesce(category_l1, '') || coalesce(' / ' || category_l2, '') as varchar) as hotspot_key,
        cast(category_l1 as varchar) as category_l1,
        cast(category_l2 as varchar) as category_l2,
        cast(contacts as integer) as contacts,
        cast(previous_month_contacts as integer) as previous_month_contacts,
        {{ change_pct('contacts', 'previous_month_contacts') }} as mom_change_pct
    from ranked
    where hotspot_rank <= {{ top_n }}

)

select * from final
order by rank

{#- 诉求分类 of var('month'): all contacts that are not 无效, by 一级分类; the six largest are named (count desc,
    ties by name), everything else (including a category literally called 其他, and missing ones) is 其他. -#}
{%- set top_n = var('demand_top_n') | int -%}
with

contacts as (

    select * from {{ ref('fct_contacts') }}
    where
        received_month = {{ month_literal() }}
        and is_valid

),

by_category as (

    select
        category_l1,
        count(*) as contacts
    from contacts
    group by category_l1

),

ranked as (

    select
        category_l1,
        contacts,
        row_number() over (order by contacts desc, category_l1 asc) as category_rank
    from by_category
    where category_l1 is not null and category_l1 <> '其他'

),

named as (

    select
        category_rank as display_order,
        category_l1,
        contacts,
        false as is_other
    from ranked
    where category_rank <= {{ top_n }}

),

other as (

    select
        (select count(*) from named) + 1 as display_order,
        '其他' as category_l1,
        (select count(*) from contacts) - coalesce((select sum(contacts) from named), 0) as contacts,
        true as is_other

),

totals as (

    select count(*) as demand_total from contacts

),

final as (

    select
        {{ period_columns() }},
        cast(table_rows.display_order as integer) as display_order,
        cast(table_rows.category_l1 as varchar) as category_l1,
        cast(table_rows.contacts as integer) as contacts,
        {{ rate_pct('table_rows.contacts', 'totals.demand_total') }} as share_pct,
        table_rows.is_other,
        cast(totals.demand_total as integer) as demand_total
    from (
        select * from named
        union all
        select * from other
    ) as table_rows
    cross join totals

)

select * from final
order by display_order

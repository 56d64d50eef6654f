with

categories as (

    select distinct
        category_l1,
        category_l2
    from {{ ref('int_tickets_as_of') }}

),

rollups as (

    select category_l1 from {{ ref('hotspot_rollups') }}

),

final as (

    select
        coalesce(categories.category_l1, '') || ' / ' || coalesce(categories.category_l2, '') as category_key,
        categories.category_l1,
        categories.category_l2,
        rollups.category_l1 is not null as is_hotspot_rollup,
        case
            when rollups.category_l1 is not null then categories.category_l1
            else coalesce(categories.category_l1, '') || ' / ' || coalesce(categories.category_l2, '')
        end as hotspot_key
    from categories
    left join rollups on categories.category_l1 = rollups.category_l1

)

select * from final

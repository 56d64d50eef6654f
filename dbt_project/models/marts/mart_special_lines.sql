{#- 专线 calls of var('month') by dedicated line. -#}
with

contacts as (

    select * from {{ ref('fct_contacts') }}
    where
        received_month = {{ month_literal() }}
        and special_line is not null

),

lines as (

    select
        display_order,
        special_line
    from {{ ref('special_lines') }}

),

counts as (

    select
        special_line,
        count(*) as contacts
    from contacts
    group by special_line

),

totals as (

    select count(*) as special_lines_total from contacts

),

final as (

    select
        {{ period_columns() }},
        cast(lines.display_order as integer) as display_order,
        cast(lines.special_line as varchar) as special_line,
        cast(coalesce(counts.contacts, 0) as integer) as contacts,
        cast(totals.special_lines_total as integer) as special_lines_total
    from lines
    cross join totals
    left join counts using (special_line)

)

select * from final
order by display_order

with

seeded as (

    select
        {{ collapse_ws('canonical_name') }} as department_name,
        cast(display_order as integer) as display_order,
        kind
    from {{ ref('departments') }}

),

lookup as (

    select * from {{ ref('int_department_lookup') }}

),

known as (

    select distinct canonical_name as department_name from lookup

),

alias_counts as (

    select
        canonical_name as department_name,
        cast(count(*) as integer) as alias_count
    from lookup
    where name_kind = 'alias'
    group by canonical_name

),

unknown as (

    select distinct department_name
    from {{ ref('int_work_order_departments') }}
    where not is_known_department

),

all_departments as (

    select
        department_name,
        true as is_known
    from known
    union all
    select
        department_name,
        false as is_known
    from unknown
    where department_name not in (select department_name from known)

),

final as (

    select
        all_departments.department_name,
        seeded.display_order,
        seeded.kind,
        all_departments.is_known,
        coalesce(alias_counts.alias_count, 0) as alias_count
    from all_departments
    left join seeded using (department_name)
    left join alias_counts using (department_name)

)

select * from final

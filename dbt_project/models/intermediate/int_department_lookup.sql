{#- Every name that identifies a department, keyed on its whitespace-free form: each canonical name (from
    departments and from the alias seed) maps to itself, each alias to its canonical name. -#}
with

canonical_names as (

    select {{ collapse_ws('canonical_name') }} as canonical_name from {{ ref('departments') }}
    union
    select {{ collapse_ws('canonical_name') }} from {{ ref('department_aliases') }}

),

aliases as (

    select
        alias,
        {{ collapse_ws('canonical_name') }} as canonical_name
    from {{ ref('department_aliases') }}

),

names as (

    select
        {{ ws_free('canonical_name') }} as lookup_key,
        canonical_name,
        'canonical' as name_kind
    from canonical_names
    union
    select
        {{ ws_free('alias') }} as lookup_key,
        canonical_name,
        'alias' as name_kind
    from aliases

),

final as (

    -- a key that is both a canonical name and an alias of the same department appears once
    select
        lookup_key,
        canonical_name,
        min(name_kind) as name_kind
    from names
    where lookup_key <> ''
    group by lookup_key, canonical_name

)

select * from final

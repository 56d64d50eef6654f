-- depends_on: {{ ref('int_tickets_as_of') }}
{#- One row per work order × department named in its 承办单位 cell (as of the cut-off), by the rule of
    docs/department-names.md:
    1. split the cell on 、 ; ； , ， and drop empty parts;
    2. a part (trimmed, inner whitespace collapsed) whose whitespace-free form is a name or alias is that one
       department ("昆仑经济技术开发区 管委会");
    3. otherwise the part is split on whitespace and each piece looked up ("市住房和城乡建设局 市城市管理局");
    4. an unknown piece is kept under its cleaned name, flagged is_known_department = false;
    5. the first department is the lead; a department named twice counts once, at its first position. -#}
{#- delete+insert by ticket: the pre-hook deletes (also the tickets that dropped out), dbt appends -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    unique_key='ticket_id',
    on_schema_change='fail',
    pre_hook="{{ recomputed_tickets_pre_hook() }}",
    post_hook="{{ record_consumed_batch() }}"
) }}
with

work_orders as (

    select ticket_id, departments_raw
    from {{ ref('int_tickets_as_of') }}
    where is_work_order and departments_raw is not null
    {{ recomputed_tickets_filter(batch_column='batch_id') }}

),

lookup as (

    select lookup_key, canonical_name from {{ ref('int_department_lookup') }}

),

split_parts as (

    select
        ticket_id,
        unnest(string_split_regex(departments_raw, '{{ department_separators() }}')) as part_text,
        generate_subscripts(string_split_regex(departments_raw, '{{ department_separators() }}'), 1) as part_index
    from work_orders

),

parts as (

    select ticket_id, part_index, {{ collapse_ws('part_text') }} as part_clean
    from split_parts

),

whole_parts as (

    -- rule 2: the whole part names one department
    select
        parts.ticket_id,
        parts.part_index,
        1 as piece_index,
        parts.part_clean as department_text,
        lookup.canonical_name,
        lookup.canonical_name is not null as is_known
    from parts
    left join lookup on lookup.lookup_key = {{ ws_free('parts.part_clean') }}
    where parts.part_clean <> ''

),

split_pieces as (

    -- rule 3: not a name as a whole, split on whitespace
    select
        ticket_id,
        part_index,
        unnest(string_split(department_text, ' ')) as piece_text,
        generate_subscripts(string_split(department_text, ' '), 1) as piece_index
    from whole_parts
    where not is_known

),

pieces as (

    select
        split_pieces.ticket_id,
        split_pieces.part_index,
        split_pieces.piece_index,
        split_pieces.piece_text as department_text,
        coalesce(lookup.canonical_name, split_pieces.piece_text) as canonical_name,
        lookup.canonical_name is not null as is_known
    from split_pieces
    left join lookup on lookup.lookup_key = split_pieces.piece_text
    where split_pieces.piece_text <> ''

),

named as (

    select ticket_id, part_index, piece_index, department_text, canonical_name, is_known
    from whole_parts
    where is_known
    union all
    select ticket_id, part_index, piece_index, department_text, canonical_name, is_known
    from pieces

),

first_mentions as (

    -- rule 5: a department named twice counts once, at its first position
    select *
    from named
    qualify row_number() over (
        partition by ticket_id, canonical_name order by part_index, piece_index
    ) = 1

),

final as (

    select
        ticket_id,
        cast(row_number() over (partition by ticket_id order by part_index, piece_index) as integer)
            as department_position,
        canonical_name as department_name,
        department_text,
        is_known as is_known_department
    from first_mentions

)

select
    *,
    department_position = 1 as is_lead
from final

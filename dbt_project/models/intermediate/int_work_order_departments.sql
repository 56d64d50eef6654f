{#- One row per work order × department named in its 承办单位 cell (as of the cut-off), by the rule of
    docs/department-names.md (hotline/departments.py split_departments applies the same rule):
    1. split the cell on 、 ; ； , ， and drop empty parts;
    2. a part whose whitespace-free form is a name or alias is that one department ("昆仑经济技术开发区 管委会");
    3. otherwise the part is split on whitespace into pieces: a piece whose whitespace-free form is a name or
       alias is that department (an anchor: "市住房和城乡建设局 市城市管理局" is two); every maximal run of
       consecutive unknown pieces is ONE department, its pieces joined without whitespace: the department the
       joined text names if it is a name or alias ("市城市 管理局 市公安局"), else an unknown department —
       whitespace inside a name never creates a department ("某某市公安 局" is one, 某某市公安局);
    4. an unknown department is named by its whitespace-free form and flagged is_known_department = false; a
       known one by its canonical name as listed (cleaned);
    5. the first department is the lead; a department named twice counts once, at its first position.
    Whitespace is ws_class() (macros/text.sql), Python's \s. Step 3 is gaps-and-islands over the pieces: a run
    starts at an unknown piece that is the first of its part or follows an anchor; anchors are runs of one. -#}
{{ config(materialized='table') }}
with

work_orders as (

    select
        ticket_id,
        departments_raw
    from {{ ref('int_tickets_as_of') }}
    where is_work_order and departments_raw is not null

),

lookup as (

    select
        lookup_key,
        canonical_name
    from {{ ref('int_department_lookup') }}

),

split_parts as (

    select
        ticket_id,
        unnest(string_split_regex(departments_raw, '{{ department_separators() }}')) as part_text,
        generate_subscripts(string_split_regex(departments_raw, '{{ department_separators() }}'), 1) as part_index
    from work_orders

),

parts as (

    select
        ticket_id,
        part_index,
        {{ collapse_ws('part_text') }} as part_clean,
        {{ ws_free('part_text') }} as part_key
    from split_parts

),

whole_parts as (

    -- rule 2: the whole part names one department
    select
        parts.ticket_id,
        parts.part_index,
        parts.part_clean,
        lookup.canonical_name
    from parts
    left join lookup on parts.part_key = lookup.lookup_key
    where parts.part_key <> ''

),

split_pieces as (

    -- rule 3: not a name as a whole, split on whitespace (part_clean has single spaces between the pieces)
    select
        ticket_id,
        part_index,
        unnest(string_split(part_clean, ' ')) as piece_text,
        generate_subscripts(string_split(part_clean, ' '), 1) as piece_index
    from whole_parts
    where canonical_name is null

),

pieces as (

    select
        split_pieces.ticket_id,
        split_pieces.part_index,
        split_pieces.piece_index,
        split_pieces.piece_text,
        lookup.canonical_name,
        lookup.canonical_name is not null as is_anchor
    from split_pieces
    left join lookup on split_pieces.piece_text = lookup.lookup_key
    where split_pieces.piece_text <> ''

),

piece_runs as (

    -- a run starts at an anchor, or at an unknown piece that is the first of its part or follows an anchor
    select
        *,
        sum(case when is_anchor or coalesce(prev_is_anchor, true) then 1 else 0 end) over (
            partition by ticket_id, part_index order by piece_index rows unbounded preceding
        ) as run_index
    from (
        select
            *,
            lag(is_anchor) over (partition by ticket_id, part_index order by piece_index) as prev_is_anchor
        from pieces
    ) as pieces_after_anchors

),

runs as (

    select
        ticket_id,
        part_index,
        min(piece_index) as piece_index,
        string_agg(piece_text, ' ' order by piece_index) as department_text,
        string_agg(piece_text, '' order by piece_index) as run_key,
        bool_or(is_anchor) as is_anchor,
        any_value(canonical_name) as anchor_name
    from piece_runs
    group by ticket_id, part_index, run_index

),

named as (

    select
        ticket_id,
        part_index,
        1 as piece_index,
        part_clean as department_text,
        canonical_name,
        true as is_known
    from whole_parts
    where canonical_name is not null
    union all
    select
        runs.ticket_id,
        runs.part_index,
        runs.piece_index,
        runs.department_text,
        case when runs.is_anchor then runs.anchor_name else coalesce(lookup.canonical_name, runs.run_key) end
            as canonical_name,
        runs.is_anchor or lookup.canonical_name is not null as is_known
    from runs
    left join lookup on runs.run_key = lookup.lookup_key and not runs.is_anchor

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

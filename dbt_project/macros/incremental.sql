{#- Export dates whose delivery in force was loaded after the newest row of `relation` (a staging table with a
    loaded_at column): the days an incremental run must (re)process. -#}
{% macro changed_export_dates(relation) -%}
    select export_date from {{ source('raw', 'exports') }}
    where loaded_at > (select coalesce(max(loaded_at), timestamp '1900-01-01') from {{ relation }})
{%- endmacro %}

{#- Ticket-level incremental models (delete+insert on ticket_id).

    int_tickets_as_of holds each ticket's state as of var('as_of'). A run can update it in place ("delta")
    when no delivery was replaced since its last build; then only the tickets that can have a different state
    are recomputed: those with a staging row loaded since then (new export days) and those with any timestamp
    between the previous cut-off and the new one, whichever way the cut-off moved (the monthly publication, as
    of the 12th 10:00, runs after the 12th's nightly, as of its evening). Every other ticket keeps its state; only the
    as_of column (and the is_overdue of unreplied work orders, which compares the cut-off's date with the due
    date) moves with the cut-off, by a post-hook UPDATE. Otherwise the run recomputes every ticket ("full").
    The rows written by a run carry a new batch_id; the downstream ticket-level models recompute the tickets of
    the batches they have not consumed yet, or everything when int_tickets_as_of was recomputed whole.
    `--full-refresh` recomputes everything; tests/test_incremental.py checks both give identical tables. -#}

{#- none → recompute every ticket; else {'watermark': newest loaded_at seen, 'prev_as_of': previous cut-off}. -#}
{% macro ticket_delta_state() -%}
    {%- if not execute or not is_incremental() -%}{{ return(none) }}{%- endif -%}
    {%- set row = run_query("select cast(max(as_of) as varchar), cast(max(last_loaded_at) as varchar), count(*) from " ~ this).rows[0] -%}
    {%- if row[2] == 0 or row[0] is none or row[1] is none -%}{{ return(none) }}{%- endif -%}
    {%- set prev_as_of = row[0][:19] -%}
    {%- set replaced = run_query("select count(*) from " ~ source('raw', 'load_audit')
        ~ " where status = 'replaced' and attempted_at > timestamp '" ~ row[1] ~ "'").rows[0][0] -%}
    {%- if replaced > 0 -%}{{ return(none) }}{%- endif -%}
    {{- return({'watermark': row[1], 'prev_as_of': prev_as_of}) -}}
{%- endmacro %}

{#- The tickets whose state as of var('as_of') may differ from their state as of the previous build. -#}
{% macro changed_tickets_sql(state) -%}
    {%- set bounds = [state['prev_as_of'], as_of_var()] | sort -%}
    {%- set lo = "timestamp '" ~ bounds[0] ~ "'" -%}
    {%- set hi = "timestamp '" ~ bounds[1] ~ "'" -%}
    select distinct ticket_id from {{ ref('stg_hotline__ticket_rows') }}
    where loaded_at > timestamp '{{ state['watermark'] }}'
    {%- if state['prev_as_of'] != as_of_var() %}
       or (received_at > {{ lo }} and received_at <= {{ hi }})
       or (updated_at > {{ lo }} and updated_at <= {{ hi }})
       or (dispatched_at > {{ lo }} and dispatched_at <= {{ hi }})
       or (replied_at > {{ lo }} and replied_at <= {{ hi }})
       or (closed_at > {{ lo }} and closed_at <= {{ hi }})
       or (callback_at > {{ lo }} and callback_at <= {{ hi }})
    {%- endif %}
{%- endmacro %}

{#- Pre-hook of int_tickets_as_of: the newest row's key per ticket into a temporary table (newest_keys_table());
    the model then fetches those rows from staging by key.

    A delta run notes the tickets it recomputes under its batch id and clears them (a ticket may drop out of the
    state, received after an earlier cut-off: the downstream models drop what is noted here, not only what
    int_tickets_as_of writes again). Their keys are computed from their staging rows, read from the first
    export date holding one of them (a literal bound: staging is stored in export-date order, so the scan skips
    the older row groups; on a year of 35 M rows a nightly's read went from 5.3 s to under 1 s). Every
    statement that looks tickets up by id also gets the literal range of their ids (ticket_bounds).

    A full run computes every ticket's key in one hash aggregation: the key (updated_at, export date, row
    number) and three counters are small, so 21 M tickets fit DuckDB's memory limit (a year, 3 GB: 12 s, where
    an arg_max carrying the whole row needed 73 s range by range). -#}
{% macro ticket_state_pre_hook() -%}
    {%- set state = ticket_delta_state() -%}
    {%- set rows = "select * from " ~ ref('stg_hotline__ticket_rows') ~ " where updated_at <= " ~ as_of_ts() -%}
    {%- if state is none -%}
        {%- if is_incremental() -%}
            delete from {{ recomputed_table() }};
            delete from {{ this }};
        {%- endif %}
        create or replace temporary table {{ newest_keys_table() }} as
        {{ newest_keys_sql(rows) }}
    {%- else -%}
        {%- set batch = recomputed_tickets_sql() -%}
        {#- notes older than every downstream model's last run and every ticket-level test's last pass
            (macros/tested_increment.sql; ticket watermarks are batch ids, export-date ones timestamps: not a
            bigint → NULL) are no longer needed -#}
        {%- do run_query("delete from " ~ recomputed_table() ~ " where batch_id <= least("
            ~ "(select coalesce(min(batch_id), 0) from " ~ batches_table() ~ "), "
            ~ "(select coalesce(min(try_cast(watermark as bigint)), 9223372036854775807) from " ~ tested_table() ~ "))") -%}
        {%- do run_query("insert into " ~ recomputed_table() ~ " select " ~ new_batch_id() ~ ", ticket_id from ("
            ~ changed_tickets_sql(state) ~ ")") -%}
        {%- set bounds = ticket_bounds("batch_id = " ~ new_batch_id()) -%}
        {%- set first = run_query("select cast(min(export_date) as varchar) from " ~ ref('stg_hotline__ticket_rows')
            ~ " where ticket_id in (" ~ batch ~ ")" ~ bounds).rows[0][0] -%}
        delete from {{ this }} where ticket_id in ({{ batch }}){{ bounds }};
        create or replace temporary table {{ newest_keys_table() }} as
        {{ newest_keys_sql(rows ~ (" and false" if first is none else " and export_date >= date '" ~ first
            ~ "' and ticket_id in (" ~ batch ~ ")" ~ bounds)) }}
    {%- endif -%}
{%- endmacro %}

{#- Per ticket of `rows_sql` (staging rows): the key of its newest row (ordered by updated_at, then the later
    export, then the later row; export date and row number identify a staging row), its version count, first
    export date and newest load. -#}
{% macro newest_keys_sql(rows_sql) -%}
    select
        ticket_id,
        max(struct_pack(u := updated_at, e := export_date, r := row_number)) as newest,
        cast(count(*) as integer) as version_count,
        min(export_date) as first_export_date,
        max(loaded_at) as last_loaded_at
    from ({{ rows_sql }})
    group by ticket_id
{%- endmacro %}

{#- ` and <column> between '<lo>' and '<hi>'`: the literal range of the ids of the tickets that
    `batch_condition` (on batch_id) selects in int_tickets_as_of and in the recomputed-tickets notes, or
    ` and false` when there are none. Added beside every `ticket_id in (those tickets)`: DuckDB compares the
    literals with each row group's min/max ticket_id and skips the groups outside. Ids carry the receipt's
    yymmdd and a ticket changes within weeks of its receipt: the ticket-level tables (written in the order of
    each ticket's newest export day) and staging (in export-day order) hold the ids of a few weeks per row
    group, and a night's tickets are those of the last weeks, so a night's deletes and lookups read a few row
    groups instead of 21 M ids (~1 s → ~0.1 s each). -#}
{% macro ticket_bounds(batch_condition, column='ticket_id') -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set row = run_query("select min(ticket_id), max(ticket_id) from (select ticket_id from "
        ~ tickets_table() ~ " where " ~ batch_condition ~ " union all select ticket_id from "
        ~ recomputed_table() ~ " where " ~ batch_condition ~ ")").rows[0] -%}
    {%- if row[0] is none -%}{{ return(' and false') }}{%- endif -%}
    {{- return(" and " ~ column ~ " between '" ~ (row[0] | replace("'", "''")) ~ "' and '"
        ~ (row[1] | replace("'", "''")) ~ "'") -}}
{%- endmacro %}

{% macro recomputed_tickets_sql() -%}
    select ticket_id from {{ recomputed_table() }} where batch_id = {{ new_batch_id() }}
{%- endmacro %}

{#- The newest rows' keys that int_tickets_as_of's pre-hook computed for the run (a temporary table). -#}
{% macro newest_keys_table() -%} int_tickets_as_of__newest {%- endmacro %}

{#- Batches: every int_tickets_as_of run stamps the rows it writes with a new batch_id (increasing). Each
    downstream ticket-level model records the newest batch it has consumed in
    intermediate.hotline_incremental_batches (post-hook), so that it catches up on every batch written since,
    also when dbt runs one model per invocation (Airflow/cosmos). -#}
{#- The invocation's start time: the same in the model's SQL and in its hooks, increasing across runs. -#}
{% macro new_batch_id() -%}
    {{- return(run_started_at.strftime('%y%m%d%H%M%S%f') | int) -}}
{%- endmacro %}

{% macro batches_table() -%} intermediate.hotline_incremental_batches {%- endmacro %}
{#- (batch_id, ticket_id): the tickets a delta run of int_tickets_as_of recomputes (computed once, in its
    pre-hook; the model and the downstream models read them here). -#}
{% macro recomputed_table() -%} intermediate.hotline_recomputed_tickets {%- endmacro %}

{#- none → recompute every ticket; else the newest batch this model has consumed. -#}
{% macro consumed_batch() -%}
    {%- if not execute or not is_incremental() -%}{{ return(none) }}{%- endif -%}
    {%- set exists = run_query("select count(*) from duckdb_tables() where schema_name = 'intermediate' "
        ~ "and table_name = 'hotline_incremental_batches'").rows[0][0] -%}
    {%- if exists == 0 -%}{{ return(none) }}{%- endif -%}
    {%- set consumed = run_query("select max(batch_id) from " ~ batches_table() ~ " where model = '"
        ~ this.identifier ~ "'").rows[0][0] -%}
    {%- if consumed is none -%}{{ return(none) }}{%- endif -%}
    {#- int_tickets_as_of recomputed whole since then: recompute everything here too -#}
    {%- set kept = run_query("select count(*) from (select 1 from " ~ ref('int_tickets_as_of')
        ~ " where batch_id <= " ~ consumed ~ " limit 1)").rows[0][0] -%}
    {{- return(none if kept == 0 else consumed) -}}
{%- endmacro %}

{#- `and <column> in (tickets recomputed since this model's last run)` in a delta run, nothing otherwise. On
    int_tickets_as_of itself (batch_column='batch_id') the filter is on the batch: those rows are appended last,
    so the scan skips the other row groups instead of probing 21 M ticket ids. -#}
{% macro recomputed_tickets_filter(column='ticket_id', batch_column=none) -%}
    {%- set consumed = consumed_batch() -%}
    {%- if consumed is not none and batch_column -%}
    and {{ batch_column }} > {{ consumed }}
    {%- elif consumed is not none -%}
    and {{ column }} in (select ticket_id from {{ ref('int_tickets_as_of') }} where batch_id > {{ consumed }})
        {{- ticket_bounds("batch_id > " ~ consumed, column) }}
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of the downstream ticket-level models: drop the tickets recomputed (or dropped) upstream since. -#}
{% macro recomputed_tickets_pre_hook() -%}
    {%- if is_incremental() -%}
        {%- set consumed = consumed_batch() -%}
        {%- if consumed is none -%} delete from {{ this }}
        {%- else -%} delete from {{ this }} where ticket_id in (select ticket_id from {{ recomputed_table() }} where batch_id > {{ consumed }})
            {{- ticket_bounds("batch_id > " ~ consumed) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- on-run-start: the bookkeeping tables. -#}
{% macro create_batches_table() -%}
    create schema if not exists intermediate;
    create table if not exists {{ batches_table() }} (model varchar primary key, batch_id bigint);
    create table if not exists {{ recomputed_table() }} (batch_id bigint not null, ticket_id varchar not null);
    {#- a model that is no longer an incremental table (fct_contacts became a view) must not hold back the
        clean-up of the recomputed-tickets notes -#}
    delete from {{ batches_table() }} where model not in (select table_name from duckdb_tables()
        where database_name = current_database() and schema_name in ('intermediate', 'marts'))
{%- endmacro %}

{#- Post-hook of the downstream ticket-level models (every run, full or not): record the batch consumed. -#}
{% macro record_consumed_batch() -%}
    insert or replace into {{ batches_table() }}
    select '{{ this.identifier }}', coalesce(max(batch_id), 0) from {{ ref('int_tickets_as_of') }}
{%- endmacro %}

{#- Post-hook: rows kept from an earlier build take the new cut-off. -#}
{% macro move_as_of_post_hook() -%}
    {%- if is_incremental() -%}
    update {{ this }} set as_of = {{ as_of_ts() }} where as_of <> {{ as_of_ts() }}
    {%- endif -%}
{%- endmacro %}

{#- fct_work_orders: kept rows take the new cut-off; an unreplied work order is overdue once the cut-off's date
    is past its due date (int_work_orders_due). -#}
{% macro work_orders_as_of_post_hook() -%}
    {%- if is_incremental() -%}
    update {{ this }} set
        as_of = {{ as_of_ts() }},
        is_overdue = case
            when replied_date is not null then is_overdue
            -- no due date: not dispatched yet (false), or one the calendar cannot give (NULL, a failing test)
            when due_date is null then case when calendar_gap_date is null then false end
            else {{ as_of_date() }} > due_date
        end
    where as_of <> {{ as_of_ts() }}
    {%- endif -%}
{%- endmacro %}

{#- fct_work_order_departments: kept rows follow fct_work_orders. Only an unreplied work order's is_overdue can
    move with the cut-off: the join is limited to those (an UPDATE joined to every work order took 5 s on
    0.7 M rows). -#}
{% macro work_order_departments_as_of_post_hook() -%}
    {%- if is_incremental() -%}
    update {{ this }} set as_of = {{ as_of_ts() }} where as_of <> {{ as_of_ts() }};
    update {{ this }} as d set is_overdue = w.is_overdue
    from (select ticket_id, is_overdue from {{ ref('fct_work_orders') }} where replied_date is null) as w
    where w.ticket_id = d.ticket_id and d.is_overdue is distinct from w.is_overdue
    {%- endif -%}
{%- endmacro %}

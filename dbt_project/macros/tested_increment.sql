{#- Tests of the big incremental tables test only what changed since they last passed.

    A nightly adds ~0.3 % to raw/staging (35 M rows a year) and recomputes ~0.5 % of the tickets (21 M); testing
    the whole history every night was most of the nightly's time. A data test opts in with a placeholder in its
    `where` config, expanded here at run time (dbt's documented override point for test filters):

      __export_dates_since_tested(<date column>, <loaded-at column>)__
          the rows of every export date that has a row loaded after the last passing run of this test
          (raw.ticket_rows and staging are replaced whole export date by export date, so a key of
          (export date, row number) is checked completely within them)
      __tickets_since_tested__
          the rows of every ticket recomputed (or dropped) by int_tickets_as_of after the batch this test last
          passed on (the ticket-level tables are replaced whole ticket by ticket)

    Rows with a NULL key always stay in (a not_null test must still see them). Each test's watermark (what the
    relation held when it ran) is noted at run time in intermediate.hotline_tested_pending and becomes the
    test's watermark in intermediate.hotline_tested only if the test passed (on-run-end): a failing test keeps
    testing everything since its last pass. No watermark (first build, --full-refresh) = the whole table.
    Tests of columns that a post-hook rewrites in every row (as_of, is_overdue) do not opt in. -#}

{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and '_since_tested' in where -%}
        {%- set where = expand_tested_increment(where, relation) -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return("(select * from " ~ relation ~ " where " ~ where ~ ") dbt_subquery") -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{% macro expand_tested_increment(where, relation) -%}
    {%- if not execute -%}{{ return('true') }}{%- endif -%}
    {%- set test_id = model.unique_id -%}
    {%- set previous = run_query("select watermark from " ~ tested_table() ~ " where test_id = '" ~ test_id ~ "'").rows -%}
    {%- set previous = previous[0][0] if previous | length > 0 else none -%}
    {%- set dates = modules.re.search('__export_dates_since_tested\\((\\w+),\\s*(\\w+)\\)__', where) -%}
    {%- if dates -%}
        {%- set date_col, loaded_col = dates.group(1), dates.group(2) -%}
        {%- set current = run_query("select cast(max(" ~ loaded_col ~ ") as varchar) from " ~ relation).rows[0][0] -%}
        {%- set filter = "true" if previous is none else
            "(" ~ date_col ~ " is null or " ~ date_col ~ " in (select " ~ date_col ~ " from " ~ relation
            ~ " where " ~ loaded_col ~ " > timestamp '" ~ previous ~ "'))" -%}
        {%- set where = where.replace(dates.group(0), filter) -%}
    {%- elif '__tickets_since_tested__' in where -%}
        {%- set current = tickets_watermark(model.attached_node) -%}
        {%- set filter = "true" if previous is none else
            "(ticket_id is null or (ticket_id in (select ticket_id from " ~ tickets_table()
            ~ " where batch_id > " ~ previous ~ " union all select ticket_id from " ~ recomputed_table()
            ~ " where batch_id > " ~ previous ~ ")" ~ ticket_bounds("batch_id > " ~ previous) ~ "))" -%}
        {%- set where = where.replace('__tickets_since_tested__', filter) -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown increment placeholder in the where config of " ~ test_id ~ ": " ~ where) }}
    {%- endif -%}
    {%- if current is not none -%}
        {%- do run_query("insert or replace into " ~ tested_table() ~ "_pending values ('" ~ test_id ~ "', '" ~ current ~ "')") -%}
    {%- endif -%}
    {{- return(where) -}}
{%- endmacro %}

{#- The batch of int_tickets_as_of that a ticket-level relation reflects: for an incremental model, the batch it
    consumed last (it may lag int_tickets_as_of when it has not run yet); else (int_tickets_as_of itself and
    the views over it) the newest batch written. -#}
{% macro tickets_watermark(attached_node) -%}
    {%- set name = (attached_node or '').split('.')[-1] -%}
    {%- set consumed = run_query("select max(batch_id) from " ~ batches_table() ~ " where model = '" ~ name ~ "'").rows[0][0] -%}
    {%- if consumed is none -%}
        {%- set consumed = run_query("select max(batch_id) from " ~ tickets_table()).rows[0][0] -%}
    {%- endif -%}
    {{- return(consumed) -}}
{%- endmacro %}

{#- by name, not ref(): a test may only ref() the models it depends on -#}
{% macro tickets_table() -%} intermediate.int_tickets_as_of {%- endmacro %}

{% macro tested_table() -%} intermediate.hotline_tested {%- endmacro %}

{#- on-run-start: the tables; a full refresh rebuilds every table, so every test starts over. -#}
{% macro create_tested_tables() -%}
    create table if not exists {{ tested_table() }} (test_id varchar primary key, watermark varchar not null);
    create table if not exists {{ tested_table() }}_pending (test_id varchar primary key, watermark varchar not null);
    {%- if flags.FULL_REFRESH %}
    delete from {{ tested_table() }};
    {%- endif %}
    delete from {{ tested_table() }}_pending
{%- endmacro %}

{#- on-run-end: the watermarks of the tests that passed in this invocation become theirs. -#}
{% macro promote_tested_watermarks(results) -%}
    {%- set passed = [] -%}
    {%- for r in results if r.node.resource_type == 'test' and r.status == 'pass' -%}
        {%- do passed.append("'" ~ r.node.unique_id ~ "'") -%}
    {%- endfor -%}
    {%- if passed -%}
    insert or replace into {{ tested_table() }}
    select test_id, watermark from {{ tested_table() }}_pending where test_id in ({{ passed | join(', ') }});
    {%- endif %}
    delete from {{ tested_table() }}_pending
{%- endmacro %}

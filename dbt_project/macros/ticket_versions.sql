{#- Export days whose delivery in force was loaded after the newest version already in `relation`
    (int_ticket_versions): new days, and days re-delivered since. -#}
{% macro changed_export_dates(relation) -%}
    select export_date from {{ source('raw', 'exports') }}
    where loaded_at > (select coalesce(max(loaded_at), timestamp '1900-01-01') from {{ relation }})
{%- endmacro %}

{#- Incremental strategy `ticket_versions` (dbt's hook for a named strategy: get_incremental_<name>_sql).
    The run's rows are every version of the tickets it touched, re-linked (valid_to) with their neighbours. The
    target loses every version of those tickets and every version from a replaced export day (a ticket whose
    only rows a re-delivery removed has no new version that would name it), then takes the run's rows. -#}
{% macro get_incremental_ticket_versions_sql(arg_dict) -%}
    {%- set target, temp = arg_dict['target_relation'], arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where ticket_id in (select ticket_id from {{ temp }})
        or export_date in ({{ changed_export_dates(target) }});
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ temp }}
{%- endmacro %}

{#- The two settings every month-dependent model reads, validated once here.

    Each comes from --vars (dbt's own interface; unit tests override it) or, when no var is given, from the
    environment (HOTLINE_MONTH, HOTLINE_AS_OF), read at execution time only. hotline.build passes the
    environment: --vars that change every run make dbt re-parse the whole project on every run, environment
    variables read only while executing do not. At parse time a placeholder stands in. -#}
{% macro period_setting(name, env_name, placeholder) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none and not execute -%}{{ return(placeholder) }}{%- endif -%}
    {%- if value is none -%}{%- set value = env_var(env_name, '') or none -%}{%- endif -%}
    {%- if value is none -%}
        {{ exceptions.raise_compiler_error("no " ~ name ~ ": pass --vars '{\"" ~ name ~ "\": ...}' or set " ~ env_name) }}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}

{% macro month_var() -%}
    {%- set m = period_setting('month', 'HOTLINE_MONTH', '2000-01') | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])$', m) -%}
        {{ exceptions.raise_compiler_error("var 'month' must look like 2024-11, got '" ~ m ~ "'") }}
    {%- endif -%}
    {{- return(m) -}}
{%- endmacro %}

{% macro as_of_var() -%}
    {%- set t = period_setting('as_of', 'HOTLINE_AS_OF', '2000-02-12 10:00:00') | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?$', t) -%}
        {{ exceptions.raise_compiler_error("var 'as_of' must look like '2024-12-12 10:00:00' (Asia/Shanghai), got '" ~ t ~ "'") }}
    {%- endif -%}
    {%- set t = t | replace('T', ' ') -%}
    {{- return(t if t | length == 19 else t ~ ':00') -}}
{%- endmacro %}

{% macro previous_month_var() -%}
    {%- set y, m = month_var().split('-') | map('int') | list -%}
    {%- set py = y - 1 if m == 1 else y -%}
    {%- set pm = 12 if m == 1 else m - 1 -%}
    {{- return('%04d-%02d' | format(py, pm)) -}}
{%- endmacro %}

{#- SQL literals -#}
{% macro as_of_ts() -%} cast('{{ as_of_var() }}' as timestamp) {%- endmacro %}
{% macro as_of_date() -%} cast(cast('{{ as_of_var() }}' as timestamp) as date) {%- endmacro %}
{% macro month_literal() -%} '{{ month_var() }}' {%- endmacro %}
{% macro previous_month_literal() -%} '{{ previous_month_var() }}' {%- endmacro %}
{% macro month_start() -%} cast('{{ month_var() }}-01' as date) {%- endmacro %}
{% macro next_month_start() -%} cast(cast('{{ month_var() }}-01' as date) + interval 1 month as date) {%- endmacro %}

{#- The `month` and `as_of` columns every mart carries. -#}
{% macro period_columns() -%}
    cast({{ month_literal() }} as varchar) as month,
    {{ as_of_ts() }} as as_of
{%- endmacro %}

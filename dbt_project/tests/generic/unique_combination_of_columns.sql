{#- The combination of columns is a key: unique and every part not null. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set cols = combination_of_columns | join(', ') -%}
    with keyed as (
        select {{ cols }} from {{ model }}
    )
    select {{ cols }}, count(*) as n_rows, 'duplicate' as problem
    from keyed
    group by {{ cols }}
    having count(*) > 1
    union all
    select {{ cols }}, 1 as n_rows, 'null key part' as problem
    from keyed
    where {% for c in combination_of_columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}

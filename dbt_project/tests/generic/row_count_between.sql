{#- The model has between min_rows and max_rows rows (bounds optional). -#}
{% test row_count_between(model, min_rows=none, max_rows=none) %}
    select n from (select count(*) as n from {{ model }}) c
    where false
    {% if min_rows is not none %} or n < {{ min_rows }} {% endif %}
    {% if max_rows is not none %} or n > {{ max_rows }} {% endif %}
{% endtest %}

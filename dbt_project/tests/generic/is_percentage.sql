{#- A percentage column: between 0 and 100 where it is not NULL (a rate without a denominator is NULL). -#}
{% test is_percentage(model, column_name) %}
    select {{ column_name }} from {{ model }}
    where {{ column_name }} < 0 or {{ column_name }} > 100
{% endtest %}

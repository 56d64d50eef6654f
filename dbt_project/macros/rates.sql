{#- numerator / denominator × 100, rounded half-up (half away from zero) to 2 decimals, exactly.

    DuckDB's round() on DOUBLE is not reliably half-up (96.875 may be stored as 96.87499…), so the rounding
    is done on integers: k = floor((2·|num|·10000 + den) / (2·den)) is |num|/den × 10000 rounded half-up, and
    the result is sign(num) · k / 100 as DECIMAL(10,2). NULL when the denominator is 0 or NULL.
    Counts only (integers); the denominator must be positive. -#}
{% macro rate_pct(numerator, denominator) -%}
    (case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 or ({{ numerator }}) is null then null
        else cast(
            cast(
                sign(cast({{ numerator }} as bigint))
                * ((abs(cast({{ numerator }} as bigint)) * 20000 + cast({{ denominator }} as bigint))
                   // (2 * cast({{ denominator }} as bigint)))
            as decimal(18, 0)) * 0.01
        as decimal(10, 2))
    end)
{%- endmacro %}

{#- Month-over-month change in percent: (current − previous) / previous × 100, half-up to 2 decimals. -#}
{% macro change_pct(current, previous) -%}
    {{ rate_pct('(' ~ current ~ ') - (' ~ previous ~ ')', previous) }}
{%- endmacro %}

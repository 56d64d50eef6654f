{#- Whitespace as Python's str.split()/re \s sees it (hotline/departments.py applies the same rule):
    ASCII whitespace, \v, the Unicode separators (U+3000 ideographic space, U+00A0 …), U+001C–U+001F, U+0085. -#}
{% macro ws_class() -%} [\s\pZ\x{0b}\x{1c}-\x{1f}\x{85}] {%- endmacro %}

{#- The same characters as a string, for trim(): the code points for which Python's str.isspace() is true. -#}
{% macro ws_chars() -%}
    {%- set cps = [9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760] + range(8192, 8203) | list
        + [8232, 8233, 8239, 8287, 12288] -%}
    ({% for c in cps %}chr({{ c }}){% if not loop.last %} || {% endif %}{% endfor %})
{%- endmacro %}

{#- Trimmed text, empty → NULL. trim() with a character set, not a regex: staging applies it to every column of
    every row, and it is several times cheaper. -#}
{% macro clean_text(col) -%}
    nullif(trim({{ col }}, {{ ws_chars() }}), '')
{%- endmacro %}

{#- Trimmed, inner whitespace collapsed to one space (departments.clean). -#}
{% macro collapse_ws(col) -%}
    regexp_replace(regexp_replace({{ col }}, '^{{ ws_class() }}+|{{ ws_class() }}+$', '', 'g'), '{{ ws_class() }}+', ' ', 'g')
{%- endmacro %}

{#- All whitespace removed: the form department names are matched on (departments.squeeze). -#}
{% macro ws_free(col) -%}
    regexp_replace({{ col }}, '{{ ws_class() }}+', '', 'g')
{%- endmacro %}

{#- The separators an operator may type between departments (contract.DEPARTMENT_SEPARATORS). -#}
{% macro department_separators() -%} [、;；,，] {%- endmacro %}

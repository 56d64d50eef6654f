{#- Whitespace as Python's str.split()/re \s sees it (hotline/departments.py applies the same rule; the loader
    trims every value with the same class, hotline/load/rows.py WS_CLASS):
    ASCII whitespace, \v, the Unicode separators (U+3000 ideographic space, U+00A0 …), U+001C–U+001F, U+0085. -#}
{% macro ws_class() -%} [\s\pZ\x{0b}\x{1c}-\x{1f}\x{85}] {%- endmacro %}

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

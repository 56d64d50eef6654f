{#- The phone pseudonym: sha256 of the key from HOTLINE_PII_KEY and the phone's digits.
    Fails loudly at run time when the key is missing: pseudonyms made with an empty key would be reversible
    by anyone (phone numbers are a small space). -#}
{% macro pii_key() -%}
    {%- set key = env_var('HOTLINE_PII_KEY', '') -%}
    {%- if execute and key | trim == '' -%}
        {{ exceptions.raise_compiler_error("HOTLINE_PII_KEY is not set: the phone pseudonymization key must come from the environment (hotline.build creates a local one for demos)") }}
    {%- endif -%}
    {{- return(key) -}}
{%- endmacro %}

{% macro caller_key(phone_col) -%}
    case
        when nullif(regexp_replace({{ phone_col }}, '[^0-9]', '', 'g'), '') is null then null
        else sha256('{{ pii_key() | replace("'", "''") }}' || '|' || regexp_replace({{ phone_col }}, '[^0-9]', '', 'g'))
    end
{%- endmacro %}

-- Trimmed text, empty -> NULL: the whitespace of Python's str.isspace(), as the dbt staging model trims it.
create or replace temp macro t(x) as
    nullif(case when regexp_matches(x, '^[\s\pZ\x{0b}\x{1c}-\x{1f}\x{85}]|[\s\pZ\x{0b}\x{1c}-\x{1f}\x{85}]$') then regexp_replace(x, '^[\s\pZ\x{0b}\x{1c}-\x{1f}\x{85}]+|[\s\pZ\x{0b}\x{1c}-\x{1f}\x{85}]+$', '', 'g')
                else x end, '');

create or replace temp macro t(x) as
    nullif(regexp_replace(x, '^[\s\pZ\x{0b}\x{1c}-\x{1f}\x{85}]+|[\s\pZ\x{0b}\x{1c}-\x{1f}\x{85}]+$', '', 'g'), '');

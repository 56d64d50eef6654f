-- Floor of the full year from an empty warehouse: every export's CSV into raw.ticket_rows, cleaned into a typed
-- copy (baseline.ticket_rows), then the monthly figures (monthly.sql) — what DuckDB alone needs for the same load +
-- build.
${include:macros.sql}
create schema if not exists raw;
create schema if not exists baseline;
create or replace table raw.ticket_rows as
select cast(regexp_extract(filename, '(\d{8})\.csv$', 1)[1:4] || '-' || regexp_extract(filename, '(\d{8})\.csv$', 1)[5:6]
            || '-' || regexp_extract(filename, '(\d{8})\.csv$', 1)[7:8] as date) as _export_date,
       filename as _file_name, 'floor' as _file_sha256, 0 as _row_number, now()::timestamp as _loaded_at,
       columns(* exclude (filename))
from read_csv('${dumps}/hotline_*.csv', header = true, all_varchar = true, delim = ',', quote = '"', escape = '"',
              filename = true);
create or replace table baseline.ticket_rows as
${include:staging_select.sql};
${include:monthly.sql}

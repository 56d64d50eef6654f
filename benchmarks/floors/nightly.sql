-- Floor of the nightly increment: one day's CSV into raw.ticket_rows and into the typed copy (baseline.ticket_rows),
-- then the state of the tickets the day touched as of the end of the day. Reads and writes only raw and the
-- floor's own tables, so that it does the same work whatever the pipeline's models are.
${include:macros.sql}
create temp table day_rows as
select * from read_csv('${csv}', header = true, all_varchar = true, delim = ',', quote = '"', escape = '"');
delete from raw.ticket_rows where _export_date = date '${export_date}';
insert into raw.ticket_rows by name
select date '${export_date}' as _export_date, '${file_name}' as _file_name, 'floor' as _file_sha256,
       cast(row_number() over () as integer) as _row_number, now()::timestamp as _loaded_at, columns(*)
from day_rows;
delete from baseline.ticket_rows where export_date = date '${export_date}';
insert into baseline.ticket_rows
${include:staging_select.sql}
where _export_date = date '${export_date}';
create temp table touched as
select distinct ticket_id from baseline.ticket_rows where export_date = date '${export_date}';
create temp table new_state as
select * from baseline.ticket_rows
where ticket_id in (select ticket_id from touched) and updated_at <= timestamp '${as_of}'
qualify row_number() over (partition by ticket_id order by updated_at desc, export_date desc, row_number desc) = 1;
create temp table floor_result as select count(*) from new_state;

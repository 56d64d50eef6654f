-- Floor of the nightly increment: one day's CSV into raw.ticket_rows, its rows cleaned into staging, and the
-- touched tickets' latest state replaced in intermediate.int_tickets_as_of (the same tables the pipeline writes).
${include:macros.sql}
create temp table day_rows as
select * from read_csv('${csv}', header = true, all_varchar = true, delim = ',', quote = '"', escape = '"');
delete from raw.ticket_rows where _export_date = date '${export_date}';
insert into raw.ticket_rows
select date '${export_date}', '${file_name}', 'floor', cast(row_number() over () as integer), now()::timestamp,
       columns(* ) from day_rows;
delete from staging.stg_hotline__ticket_rows where export_date = date '${export_date}';
insert into staging.stg_hotline__ticket_rows
${include:staging_select.sql}
where _export_date = date '${export_date}';
create temp table touched as
select distinct ticket_id from staging.stg_hotline__ticket_rows where export_date = date '${export_date}';
delete from intermediate.int_tickets_as_of where ticket_id in (select ticket_id from touched);
create temp table new_state as
select * from staging.stg_hotline__ticket_rows
where ticket_id in (select ticket_id from touched) and updated_at <= timestamp '${as_of}'
qualify row_number() over (partition by ticket_id order by updated_at desc, export_date desc, row_number desc) = 1;
insert into intermediate.int_tickets_as_of by name
select ticket_id, received_at, source_channel, handling, departments_raw, status, updated_at,
       timestamp '${as_of}' as as_of
from new_state;
create temp table floor_result as select count(*) from new_state;

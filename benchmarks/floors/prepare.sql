-- Not measured: the floor's typed copy of raw.ticket_rows (what a hand-written pipeline would keep beside raw),
-- added once to a copy of the pipeline's warehouse before the nightly and monthly floors run on it.
${include:macros.sql}
create schema if not exists baseline;
create or replace table baseline.ticket_rows as
${include:staging_select.sql};

-- Floor of the monthly publication: the month's figures as of the cut-off, computed by hand from the typed rows
-- (baseline.ticket_rows, all history) in one script: ticket state as of the cut-off, then the bulletin's aggregates.
create or replace temp table s as
select ticket_id, unnest(r) from (
    select ticket_id, arg_max(struct_pack(received_at, source_channel, handling, special_line, purpose, category_l1,
               category_l2, closed_at, callback_at, callback_result, replied_at, reply_due_date, departments_raw),
           struct_pack(u := updated_at, e := export_date, n := row_number)) as r
    from baseline.ticket_rows where updated_at <= timestamp '${as_of}' group by ticket_id);
create or replace temp table c as
select ticket_id, strftime(received_at, '%Y-%m') as m, source_channel, handling, special_line, purpose,
       category_l1, category_l2, handling <> '无效' as valid, handling = '工单转办' as wo,
       closed_at is not null and closed_at <= timestamp '${as_of}' as closed,
       case when callback_at <= timestamp '${as_of}' then callback_result end as cb,
       strftime(case when callback_at <= timestamp '${as_of}' then callback_at end, '%Y-%m') as cbm,
       case when replied_at <= timestamp '${as_of}' then cast(replied_at as date) end as replied,
       reply_due_date, departments_raw, received_at
from s where received_at <= timestamp '${as_of}';
create or replace temp table lead as
select ticket_id, trim(string_split_regex(departments_raw, '[、;；,，\s]')[1]) as dept
from c where wo and m = '${month}';
create or replace temp table floor_result as
select
    (select count(*) from c where m = '${month}') as contacts,
    (select count(*) from c where m = '${prev_month}') as previous,
    (select list(struct_pack(g, n)) from (select case source_channel when '电话' then handling else source_channel end as g,
        count(*) as n from c where m = '${month}' group by 1)) as channels,
    (select list(struct_pack(purpose, n)) from (select purpose, count(*) n from c
        where m = '${month}' and valid and source_channel = '电话' group by 1)) as purposes,
    (select list(struct_pack(special_line, n)) from (select special_line, count(*) n from c
        where m = '${month}' and special_line is not null group by 1)) as special_lines,
    (select list(struct_pack(category_l1, n)) from (select category_l1, count(*) n from c
        where m = '${month}' and valid group by 1)) as demand,
    (select list(struct_pack(category_l1, category_l2, n, p) order by n desc) from (select category_l1, category_l2,
        count(*) filter (where m = '${month}') n, count(*) filter (where m = '${prev_month}') p from c
        where valid group by 1, 2 order by n desc limit 10)) as hotspots,
    (select count(*) from c where m = '${month}' and wo) as work_orders,
    (select count(*) from c where m = '${month}' and wo and closed) as closed,
    (select count(*) from c where m = '${month}' and wo
        and coalesce(replied, cast(timestamp '${as_of}' as date)) > reply_due_date) as overdue,
    (select count(*) filter (where cb in ('满意', '基本满意', '不满意')) from c where cbm = '${month}' and wo) as callbacks,
    (select list(struct_pack(dept, n, k)) from (select dept, count(*) n, count(*) filter (where closed) k
        from lead join c using (ticket_id) group by 1)) as departments;

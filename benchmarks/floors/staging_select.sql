-- raw.ticket_rows (+ filter) -> the columns of staging.stg_hotline__ticket_rows, written out by hand
select
    _export_date as export_date, _file_name as file_name, _file_sha256 as file_sha256, _row_number as row_number,
    _loaded_at as loaded_at,
    t("工单编号") as ticket_id, cast(t("受理时间") as timestamp) as received_at, t("来源渠道") as source_channel,
    t("专线类别") as special_line, t("诉求目的") as purpose, t("一级分类") as category_l1,
    t("二级分类") as category_l2,
    case when nullif(regexp_replace("联系电话", '[^0-9]', '', 'g'), '') is null then null
         else sha256('${pii_key}' || '|' || regexp_replace("联系电话", '[^0-9]', '', 'g')) end as caller_key,
    t("办理方式") as handling, t("承办单位") as departments_raw, cast(t("派单时间") as timestamp) as dispatched_at,
    cast(t("应回复时间") as date) as reply_due_date, cast(t("回复时间") as timestamp) as replied_at,
    cast(t("办结时间") as timestamp) as closed_at, t("工单状态") as status,
    coalesce(cast(t("退回次数") as integer), 0) as return_count, cast(t("回访时间") as timestamp) as callback_at,
    t("回访结果") as callback_result, t("超期说明") as overdue_note, cast(t("更新时间") as timestamp) as updated_at
from raw.ticket_rows

{#- raw.ticket_rows 1:1, renamed and typed. A view: the ticket history (int_ticket_versions) is the stored
    copy, and raw holds only the deliveries in force (a re-delivered day's rows are replaced by the loader).
    The phone's pseudonym comes from the loader (raw._caller_key): dbt never sees the key (hotline.secrets);
    after `hotline rekey`, `hotline build --full-refresh` takes the new pseudonyms. -#}
{{ config(materialized='view') }}

with

source as (

    select * from {{ source('raw', 'ticket_rows') }}

),

renamed as (

    select
        -- delivery metadata
        cast(_export_date as date) as export_date,
        _file_name as file_name,
        _file_sha256 as file_sha256,
        cast(_row_number as integer) as row_number,
        cast(_loaded_at as timestamp) as loaded_at,

        -- the ticket (values arrive normalized: the loader trims them and stores empty as NULL,
        -- include/hotline/load/rows.py, so every layer sees the same value)
        "工单编号" as ticket_id,
        cast("受理时间" as timestamp) as received_at,
        "来源渠道" as source_channel,
        "专线类别" as special_line,
        "诉求目的" as purpose,
        "一级分类" as category_l1,
        "二级分类" as category_l2,

        -- personal data: 诉求人, 诉求地址 and 联系电话 stay in raw (the loader stored the phone's keyed
        -- pseudonym beside it); 诉求内容 (free text, which can name people, phones and addresses, and which no
        -- model reads) stays in raw too
        _caller_key as caller_key,

        -- handling
        "办理方式" as handling,
        "承办单位" as departments_raw,
        cast("派单时间" as timestamp) as dispatched_at,
        cast("应回复时间" as date) as reply_due_date,
        cast("回复时间" as timestamp) as replied_at,
        cast("办结时间" as timestamp) as closed_at,
        "工单状态" as status,
        coalesce(cast("退回次数" as integer), 0) as return_count,
        cast("回访时间" as timestamp) as callback_at,
        "回访结果" as callback_result,
        "超期说明" as overdue_note,
        cast("更新时间" as timestamp) as updated_at

    from source

)

select * from renamed

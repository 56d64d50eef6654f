-- No column downstream of staging carries the caller's name, phone or address.
select
    table_schema,
    table_name,
    column_name
from information_schema.columns
where
    table_schema in ('intermediate', 'marts')
    and (
        lower(column_name) in ('caller_name', 'caller_phone', 'caller_address', 'phone', 'address', 'name_of_caller')
        or column_name in ('诉求人', '联系电话', '诉求地址')
    )

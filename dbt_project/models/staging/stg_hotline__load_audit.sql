with

source as (

    select * from {{ source('raw', 'load_audit') }}

),

renamed as (

    select
        load_id,
        cast(attempted_at as timestamp) as attempted_at_utc,
        cast(export_date as date) as export_date,
        file_name,
        format as file_format,
        encoding,
        status,
        message,
        cast(rows_read as integer) as rows_read,
        cast(rows_loaded as integer) as rows_loaded,
        cast(rows_quarantined as integer) as rows_quarantined,
        cast(manifest_row_count as integer) as manifest_row_count,
        manifest_sha256,
        file_sha256,
        replaced_sha256

    from source

)

select * from renamed

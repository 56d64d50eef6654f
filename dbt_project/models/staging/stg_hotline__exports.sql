with

source as (

    select * from {{ source('raw', 'exports') }}

),

renamed as (

    select
        cast(export_date as date) as export_date,
        file_name,
        file_sha256,
        format as file_format,
        encoding,
        cast(manifest_row_count as integer) as manifest_row_count,
        manifest_sha256,
        exported_at as manifest_exported_at,
        cast(rows_loaded as integer) as rows_loaded,
        cast(rows_quarantined as integer) as rows_quarantined,
        cast(loaded_at as timestamp) as loaded_at_utc,
        load_id

    from source

)

select * from renamed

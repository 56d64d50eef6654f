with

source as (

    select * from {{ source('raw', 'quarantine') }}

),

renamed as (

    select
        cast(_export_date as date) as export_date,
        _file_name as file_name,
        _file_sha256 as file_sha256,
        cast(_row_number as integer) as row_number,
        reason_code,
        reason
        -- raw_text is not carried: it is the unparsed row, personal data included

    from source

)

select * from renamed

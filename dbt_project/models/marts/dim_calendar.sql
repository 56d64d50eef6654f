with

days as (

    select * from {{ ref('int_calendar_working_days') }}

),

final as (

    select
        calendar_date,
        cast(year(calendar_date) as integer) as calendar_year,
        strftime(calendar_date, '%Y-%m') as calendar_month,
        cast(isodow(calendar_date) as integer) as iso_weekday,
        is_working_day,
        day_type,
        holiday_name,
        working_day_index
    from days

)

select * from final

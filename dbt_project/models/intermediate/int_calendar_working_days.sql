{#- The calendar seed with a running index of working days, so that "n working days after" and "working days
    between" become index arithmetic. -#}
with

days as (

    select calendar_date, is_working_day, day_type, holiday_name
    from {{ ref('cn_calendar_days') }}

),

indexed as (

    select
        calendar_date,
        is_working_day,
        day_type,
        nullif(holiday_name, '') as holiday_name,
        -- working days on or before this date
        cast(sum(case when is_working_day then 1 else 0 end)
            over (order by calendar_date rows between unbounded preceding and current row) as integer)
            as working_day_index
    from days

),

final as (

    select
        *,
        -- index of the first working day on or after this date (a non-working day counts from the next one)
        working_day_index + case when is_working_day then 0 else 1 end as next_working_day_index
    from indexed

)

select * from final

{#- China's working-day calendar (docs/calendar.md): the base seed cn_calendar_days (generated from the
    chinesecalendar package) with the local calendar_overrides applied, plus a running index of working days, so
    that "n working days after" and "working days between" become index arithmetic.

    Coverage = the base seed's years + every year with an override row; a year only the overrides cover takes
    the weekday rule before its overrides apply. hotline.workdays builds the same calendar in Python
    (tests/test_calendar.py checks they agree). covered_until is the last day of the covered stretch a day
    belongs to: a rule must not count past it (int_work_orders_due.calendar_gap_date). -#}
with

base as (

    select
        calendar_date,
        is_working_day,
        day_type,
        nullif(holiday_name, '') as holiday_name
    from {{ ref('cn_calendar_days') }}

),

overrides as (

    select
        calendar_date,
        is_working_day,
        nullif(trim(holiday_name), '') as holiday_name
    from {{ ref('calendar_overrides') }}

),

override_only_years as (

    select distinct cast(year(calendar_date) as integer) as calendar_year
    from overrides
    where year(calendar_date) not in (select distinct year(calendar_date) from base)

),

-- every day of those years by the weekday rule
override_only_days as (

    select
        cast(d as date) as calendar_date,
        isodow(d) <= 5 as is_working_day,
        case when isodow(d) <= 5 then 'workday' else 'weekend' end as day_type,
        cast(null as varchar) as holiday_name
    from (
        select
            unnest(generate_series(
                cast(make_date(calendar_year, 1, 1) as timestamp),
                cast(make_date(calendar_year, 12, 31) as timestamp),
                interval 1 day
            )) as d
        from override_only_years
    ) as override_year_days

),

days as (

    select * from base
    union all
    select * from override_only_days

),

-- an override replaces the day's working status: false = a (local) holiday, true = a working day
applied as (

    select
        days.calendar_date,
        coalesce(overrides.is_working_day, days.is_working_day) as is_working_day,
        case
            when overrides.calendar_date is null then days.day_type
            when not overrides.is_working_day then 'holiday'
            when isodow(days.calendar_date) >= 6 then 'makeup_workday'
            else 'workday'
        end as day_type,
        case
            when overrides.calendar_date is null then days.holiday_name
            when not overrides.is_working_day then overrides.holiday_name
        end as holiday_name,
        overrides.calendar_date is not null as is_overridden
    from days
    left join overrides on days.calendar_date = overrides.calendar_date

),

indexed as (

    select
        calendar_date,
        is_working_day,
        day_type,
        holiday_name,
        -- working days on or before this date
        cast(sum(case when is_working_day then 1 else 0 end)
            over (order by calendar_date rows between unbounded preceding and current row)
        as integer)
            as working_day_index,
        is_overridden,
        -- constant along a stretch of consecutive days: one value per covered stretch
        calendar_date - cast(row_number() over (order by calendar_date) as integer) as stretch
    from applied

),

final as (

    select
        calendar_date,
        is_working_day,
        day_type,
        holiday_name,
        working_day_index,
        -- index of the first working day on or after this date (a non-working day counts from the next one)
        working_day_index + case when is_working_day then 0 else 1 end as next_working_day_index,
        -- the last day of the covered stretch this day belongs to (the day after it is outside the calendar)
        max(calendar_date) over (partition by stretch) as covered_until,
        is_overridden
    from indexed

)

select * from final

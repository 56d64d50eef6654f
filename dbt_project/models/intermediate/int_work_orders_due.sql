{#- One row per work order (as of the cut-off): the rule-based due date (7 working days after dispatch; a
    dispatch on a non-working day counts from the next working day) next to the platform's 应回复时间, whether
    the platform's date was extended, working days to reply and whether the work order is overdue.
    No silent NULL: when the rule needs a day the calendar does not cover, calendar_gap_date names it and
    is_overdue stays NULL unless the platform gave a due date (tests/assert_due_dates_within_calendar.sql). -#}
with

work_orders as (

    select
        ticket_id,
        received_at,
        dispatched_at,
        cast(dispatched_at as date) as dispatch_date,
        reply_due_date,
        replied_at,
        cast(replied_at as date) as replied_date,
        closed_at
    from {{ ref('int_tickets_as_of') }}
    where is_work_order

),

calendar as (

    select
        calendar_date,
        is_working_day,
        working_day_index,
        next_working_day_index,
        covered_until
    from {{ ref('int_calendar_working_days') }}

),

working_days as (

    select
        calendar_date,
        working_day_index
    from calendar
    where is_working_day

),

indexed as (

    select
        work_orders.*,
        dispatch_day.next_working_day_index as dispatch_start_index,
        dispatch_day.working_day_index as dispatch_day_index,
        dispatch_day.calendar_date is not null as is_dispatch_day_covered,
        dispatch_day.covered_until as dispatch_covered_until,
        reply_day.working_day_index as reply_day_index
    from work_orders
    left join calendar as dispatch_day on work_orders.dispatch_date = dispatch_day.calendar_date
    left join calendar as reply_day on work_orders.replied_date = reply_day.calendar_date

),

with_rule as (

    select
        indexed.*,
        due_day.calendar_date as rule_due_date,
        -- the day the rule needs but the calendar does not cover: the dispatch day itself, else the day after
        -- the covered stretch when the 7th working day would fall beyond it
        case
            when indexed.dispatch_date is null then null
            when not indexed.is_dispatch_day_covered then indexed.dispatch_date
            when due_day.calendar_date is null then cast(indexed.dispatch_covered_until + interval 1 day as date)
        end as calendar_gap_date
    from indexed
    left join working_days as due_day
        on
            due_day.working_day_index = indexed.dispatch_start_index + 7
            and indexed.dispatch_covered_until >= due_day.calendar_date

),

final as (

    select
        ticket_id,
        dispatched_at,
        dispatch_date,
        rule_due_date,
        calendar_gap_date,
        reply_due_date as platform_due_date,
        coalesce(reply_due_date, rule_due_date) as due_date,
        coalesce(reply_due_date > rule_due_date, false) as is_extended,
        coalesce(reply_due_date < rule_due_date, false) as is_due_before_rule,
        replied_at,
        replied_date,
        -- working days from the (first working) dispatch day to the reply day: 7 = replied on the rule's due date
        reply_day_index - dispatch_start_index as working_days_to_reply,
        case
            -- no due date because the calendar does not cover the rule's days: unknown, never "not overdue"
            when coalesce(reply_due_date, rule_due_date) is null and calendar_gap_date is not null then null
            when coalesce(reply_due_date, rule_due_date) is null then false
            when replied_date is not null then replied_date > coalesce(reply_due_date, rule_due_date)
            else {{ as_of_date() }} > coalesce(reply_due_date, rule_due_date)
        end as is_overdue,
        replied_date is not null and replied_date <= coalesce(reply_due_date, rule_due_date) as is_replied_on_time
    from with_rule

)

select * from final

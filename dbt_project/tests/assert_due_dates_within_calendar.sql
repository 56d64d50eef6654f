{{ config(severity='error') }}
-- No silent "not overdue": every work order received in the bulletin month and dispatched by the cut-off has a
-- 7-working-day due date. A row here is a work order whose rule needs a day the working-day calendar does not
-- cover (calendar_gap_date): upgrade chinesecalendar and run `hotline calendar --write-seed`, or list that
-- year's holidays and make-up working days in seeds/calendar_overrides.csv (docs/calendar.md); then
-- `hotline build --full-refresh`: work orders already built keep the due dates they were built with.
select
    ticket_id,
    dispatch_date,
    calendar_gap_date
from {{ ref('fct_work_orders') }}
where
    received_month = {{ month_literal() }}
    and dispatched_at <= {{ as_of_ts() }}
    and (rule_due_date is null or calendar_gap_date is not null)

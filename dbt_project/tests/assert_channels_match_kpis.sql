-- The channel table adds up to 来电总量 and agrees with the headline figures, channel by channel.
with

channels as (

    select * from {{ ref('mart_channels') }}

),

kpis as (

    select * from {{ ref('mart_monthly_kpis') }}

),

expected (channel, contacts) as (

    select
        '中国政府网转办',
        contacts_gov_portal
    from kpis
    union all
    select
        '省州系统转办',
        contacts_province_system
    from kpis
    union all
    select
        '微信端转办',
        contacts_wechat
    from kpis
    union all
    select
        '直接答复',
        contacts_direct_answer
    from kpis
    union all
    select
        '工单转办',
        contacts_work_order
    from kpis
    union all
    select
        '其他',
        contacts_other
    from kpis

)

select
    'channel ' || expected.channel as problem,
    expected.contacts as expected,
    channels.contacts as actual
from expected
full outer join channels using (channel)
where expected.contacts is distinct from channels.contacts

union all

select
    'channels sum to the total',
    kpis.contacts_total,
    (select sum(contacts) from channels)
from kpis
where kpis.contacts_total is distinct from (select sum(contacts) from channels)

union all

select
    'month total / previous total / change repeated on every row',
    kpis.contacts_total,
    channels.month_total
from channels cross join kpis
where
    channels.month_total is distinct from kpis.contacts_total
    or channels.previous_month_total is distinct from kpis.contacts_previous_total
    or channels.mom_change_pct is distinct from kpis.contacts_mom_change_pct

union all

select
    'phone work orders closed',
    kpis.work_order_channel_closed,
    channels.closed
from channels cross join kpis
where
    channels.channel = '工单转办'
    and (
        channels.closed is distinct from kpis.work_order_channel_closed
        or channels.closure_rate_pct is distinct from kpis.work_order_channel_closure_rate_pct
    )

-- 目的分类 adds up to 有效诉求, special lines add up to their total, and both agree with the headline figures;
-- purpose + 无效 + transfers = 来电总量.
with

purpose as (select * from {{ ref('mart_purpose') }}),

lines as (select * from {{ ref('mart_special_lines') }}),

kpis as (select * from {{ ref('mart_monthly_kpis') }}),

expected_purpose (purpose, contacts) as (

    select
        '咨询',
        purpose_consult
    from kpis
    union all
    select
        '求助',
        purpose_help
    from kpis
    union all
    select
        '投诉',
        purpose_complaint
    from kpis
    union all
    select
        '建议',
        purpose_suggestion
    from kpis
    union all
    select
        '其他',
        purpose_other
    from kpis

),

expected_lines (special_line, contacts) as (

    select
        '环境保护',
        special_line_environment
    from kpis
    union all
    select
        '营商环境',
        special_line_business
    from kpis
    union all
    select
        '安全生产',
        special_line_safety
    from kpis
    union all
    select
        '办不成事',
        special_line_unresolved
    from kpis

)

select
    'purpose ' || e.purpose as problem,
    e.contacts as expected,
    p.contacts as actual
from expected_purpose as e full outer join purpose as p using (purpose)
where e.contacts is distinct from p.contacts

union all

select
    'purposes sum to purpose_total',
    k.purpose_total,
    (select sum(contacts) from purpose)
from kpis as k
where
    k.purpose_total is distinct from (select sum(contacts) from purpose)
    or exists (
        select 1 from purpose as p
        where p.purpose_total is distinct from k.purpose_total
    )

union all

select
    'purpose + 无效 + transfers = total contacts',
    k.contacts_total,
    (select sum(contacts) from purpose) + k.contacts_other + k.contacts_gov_portal
    + k.contacts_province_system + k.contacts_wechat
from kpis as k
where
    k.contacts_total is distinct from (select sum(contacts) from purpose) + k.contacts_other
    + k.contacts_gov_portal + k.contacts_province_system + k.contacts_wechat

union all

select
    'special line ' || e.special_line,
    e.contacts as expected,
    l.contacts as actual
from expected_lines as e full outer join lines as l using (special_line)
where e.contacts is distinct from l.contacts

union all

select
    'special lines sum to their total',
    k.special_lines_total,
    (select sum(contacts) from lines)
from kpis as k
where k.special_lines_total is distinct from (select sum(contacts) from lines)

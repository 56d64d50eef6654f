-- A whitespace-free name or alias must point at exactly one department.
select
    lookup_key,
    count(distinct canonical_name) as departments
from {{ ref('int_department_lookup') }}
group by lookup_key
having count(distinct canonical_name) > 1

{{ config(severity='warn') }}
-- Department names in 承办单位 that are neither canonical names nor aliases: they are kept under their own
-- name, but belong in seeds/departments.csv or seeds/department_aliases.csv.
select department_name, count(*) as work_orders
from {{ ref('fct_work_order_departments') }}
where not is_known_department
group by department_name

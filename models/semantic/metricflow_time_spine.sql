{#- One row per calendar day over the generated data's span and a year either side: the day
    grain MetricFlow joins metrics to (cumulative metrics, filled gaps). -#}
with

days as (
    {{ dbt.date_spine('day', "cast('2024-10-01' as date)", "cast('2027-10-01' as date)") }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final

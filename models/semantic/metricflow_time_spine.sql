{#- One row per calendar day from 1970-01-01 to 2099-12-31: the day grain MetricFlow joins
    metrics to (cumulative metrics, filled gaps). Wide enough for any file's span (MovieLens
    ratings from 1997, release dates back to the 1920s are outside metric time), at 47,482 rows. -#}
with

days as (
    {{ dbt.date_spine('day', "cast('1970-01-01' as date)", "cast('2100-01-01' as date)") }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final

with

compared as (
    select * from {{ ref('int_claims_view_counts_compared') }}
),

final as (
    select
        cast(test_name as {{ dbt.type_string() }}) as test_name,
        cast(group_a as {{ dbt.type_string() }}) as group_a,
        cast(group_b as {{ dbt.type_string() }}) as group_b,
        cast(n_a as {{ dbt.type_bigint() }}) as n_a,
        cast(n_b as {{ dbt.type_bigint() }}) as n_b,
        cast(mean_a as {{ type_double() }}) as mean_a,
        cast(mean_b as {{ type_double() }}) as mean_b,
        cast(median_a as {{ type_double() }}) as median_a,
        cast(median_b as {{ type_double() }}) as median_b,
        cast(mean_difference as {{ type_double() }}) as mean_difference,
        cast(statistic as {{ type_double() }}) as statistic,
        cast(degrees_of_freedom as {{ type_double() }}) as degrees_of_freedom,
        cast(p_value as {{ type_double() }}) as p_value,
        cast(ci_lower as {{ type_double() }}) as ci_lower,
        cast(ci_upper as {{ type_double() }}) as ci_upper,
        cast(effect_size as {{ type_double() }}) as effect_size,
        cast(effect_size_measure as {{ dbt.type_string() }}) as effect_size_measure,
        cast(skipped_reason as {{ dbt.type_string() }}) as skipped_reason
    from compared
)

select * from final

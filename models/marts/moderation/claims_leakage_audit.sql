with

audited as (
    select * from {{ ref('int_claims_features_audited') }}
),

final as (
    select
        cast(feature as {{ dbt.type_string() }}) as feature,
        cast(feature_kind as {{ dbt.type_string() }}) as feature_kind,
        cast(best_rule as {{ dbt.type_string() }}) as best_rule,
        cast(accuracy as {{ type_double() }}) as accuracy,
        cast(distinct_values as {{ dbt.type_bigint() }}) as distinct_values,
        cast(videos as {{ dbt.type_bigint() }}) as videos,
        cast(is_leaky as {{ dbt.type_boolean() }}) as is_leaky
    from audited
)

select * from final

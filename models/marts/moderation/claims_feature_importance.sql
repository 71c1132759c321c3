with

ranked as (
    select * from {{ ref('int_claims_features_ranked') }}
),

final as (
    select
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(feature as {{ dbt.type_string() }}) as feature,
        cast(importance as {{ type_double() }}) as importance,
        cast(direction as {{ dbt.type_string() }}) as direction,
        cast(importance_rank as {{ dbt.type_int() }}) as importance_rank
    from ranked
)

select * from final

with

coefficients as (
    select * from {{ ref('int_verified_status_coefficients_fitted') }}
),

final as (
    select
        cast(feature as {{ dbt.type_string() }}) as feature,
        cast(coefficient as {{ type_double() }}) as coefficient,
        cast(odds_ratio as {{ type_double() }}) as odds_ratio,
        cast(variance_inflation_factor as {{ type_double() }}) as variance_inflation_factor
    from coefficients
)

select * from final

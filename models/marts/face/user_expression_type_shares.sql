with

type_shares as (
    select * from {{ ref('int_expression_type_shares_aggregated') }}
),

clustered_profiles as (
    select * from {{ ref('int_expression_profiles_clustered') }}
),

final as (
    select
        cast(type_shares.user_id as {{ dbt.type_bigint() }}) as user_id,
        cast(clustered_profiles.segment_id as {{ dbt.type_int() }}) as segment_id,
        cast(type_shares.expression_type as {{ dbt.type_string() }}) as expression_type,
        type_shares.is_known_expression_type,
        cast(type_shares.type_expressions as {{ dbt.type_bigint() }}) as expressions,
        cast(type_shares.type_share as {{ type_double() }}) as type_share
    from type_shares
    inner join clustered_profiles
        on type_shares.user_id = clustered_profiles.user_id
)

select * from final

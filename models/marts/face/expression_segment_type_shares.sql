{#- Each segment's expression mix over every type in the data: the segment's mean share (the
    centre the clustering and the label see), the population's, and the lift between them. -#}

with

type_shares as (
    select * from {{ ref('int_expression_type_shares_aggregated') }}
),

clustered_profiles as (
    select * from {{ ref('int_expression_profiles_clustered') }}
),

segmented_shares as (
    select
        clustered_profiles.segment_id,
        clustered_profiles.segment_label,
        type_shares.user_id,
        type_shares.expression_type,
        type_shares.is_known_expression_type,
        type_shares.type_expressions,
        type_shares.type_share
    from type_shares
    inner join clustered_profiles
        on type_shares.user_id = clustered_profiles.user_id
),

segment_types as (
    select
        segment_id,
        segment_label,
        expression_type,
        is_known_expression_type,
        count(*) as segment_users,
        sum(type_expressions) as type_expressions,
        avg(type_share) as mean_share
    from segmented_shares
    group by segment_id, segment_label, expression_type, is_known_expression_type
),

population_types as (
    select
        expression_type,
        avg(type_share) as population_mean_share
    from segmented_shares
    group by expression_type
),

final as (
    select
        cast(segment_types.segment_id as {{ dbt.type_int() }}) as segment_id,
        cast(segment_types.segment_label as {{ dbt.type_string() }}) as segment_label,
        cast(segment_types.expression_type as {{ dbt.type_string() }}) as expression_type,
        segment_types.is_known_expression_type,
        cast(segment_types.segment_users as {{ dbt.type_bigint() }}) as segment_users,
        cast(segment_types.type_expressions as {{ dbt.type_bigint() }}) as expressions,
        cast(segment_types.mean_share as {{ type_double() }}) as mean_share,
        cast(population_types.population_mean_share as {{ type_double() }}) as population_mean_share,
        cast(
            segment_types.mean_share / nullif(population_types.population_mean_share, 0) as {{ type_double() }}
        ) as lift
    from segment_types
    inner join population_types
        on segment_types.expression_type = population_types.expression_type
)

select * from final

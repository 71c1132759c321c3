with

clustered_profiles as (
    select * from {{ ref('int_expression_profiles_clustered') }}
),

final as (
    select
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        cast(segment_id as {{ dbt.type_int() }}) as segment_id,
        cast(segment_label as {{ dbt.type_string() }}) as segment_label,
        cast(expressions as {{ dbt.type_bigint() }}) as expressions,
        cast(mean_strength as {{ type_double() }}) as mean_strength,
        cast(strength_stddev as {{ type_double() }}) as strength_stddev,
        cast(silhouette as {{ type_double() }}) as silhouette,
        cast(segments as {{ dbt.type_int() }}) as segments,
        cast(segments_mean_silhouette as {{ type_double() }}) as segments_mean_silhouette
    from clustered_profiles
)

select * from final

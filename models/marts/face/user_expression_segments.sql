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
        cast(neutral_share as double) as neutral_share,
        cast(smile_share as double) as smile_share,
        cast(laugh_share as double) as laugh_share,
        cast(surprise_share as double) as surprise_share,
        cast(frown_share as double) as frown_share,
        cast(wink_share as double) as wink_share,
        cast(mean_strength as double) as mean_strength,
        cast(strength_stddev as double) as strength_stddev,
        cast(silhouette as double) as silhouette,
        cast(segments as {{ dbt.type_int() }}) as segments,
        cast(segments_mean_silhouette as double) as segments_mean_silhouette
    from clustered_profiles
)

select * from final

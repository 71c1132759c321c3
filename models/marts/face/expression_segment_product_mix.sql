with

clustered_profiles as (
    select * from {{ ref('int_expression_profiles_clustered') }}
),

sessions as (
    select * from {{ ref('stg_face__product_interactions') }}
),

user_products as (
    select
        user_id,
        sum(case when product = 'Animoji' then 1 else 0 end) as animoji_sessions,
        sum(case when product = 'FaceID' then 1 else 0 end) as faceid_sessions,
        sum(case when product = 'Animoji' then interaction_time_seconds else 0 end) as animoji_seconds,
        sum(case when product = 'FaceID' then interaction_time_seconds else 0 end) as faceid_seconds
    from sessions
    group by user_id
),

segment_totals as (
    select
        clustered_profiles.segment_id,
        clustered_profiles.segment_label,
        count(*) as segment_users,
        coalesce(sum(user_products.animoji_sessions), 0) as animoji_sessions,
        coalesce(sum(user_products.faceid_sessions), 0) as faceid_sessions,
        coalesce(sum(user_products.animoji_seconds), 0) as animoji_seconds,
        coalesce(sum(user_products.faceid_seconds), 0) as faceid_seconds
    from clustered_profiles
    left join user_products
        on clustered_profiles.user_id = user_products.user_id
    group by clustered_profiles.segment_id, clustered_profiles.segment_label
),

final as (
    select
        cast(segment_id as {{ dbt.type_int() }}) as segment_id,
        cast(segment_label as {{ dbt.type_string() }}) as segment_label,
        -- The published name is users (a keyword in some dialects, hence the noqa).
        cast(segment_users as {{ dbt.type_bigint() }}) as users, -- noqa: RF04
        cast(
            case
                when animoji_seconds + faceid_seconds > 0
                    then animoji_seconds / (animoji_seconds + faceid_seconds)
            end as {{ type_double() }}
        ) as animoji_time_share,
        cast(
            case
                when animoji_seconds + faceid_seconds > 0
                    then faceid_seconds / (animoji_seconds + faceid_seconds)
            end as {{ type_double() }}
        ) as faceid_time_share,
        cast(
            case
                when animoji_sessions + faceid_sessions > 0
                    then 1.0 * animoji_sessions / (animoji_sessions + faceid_sessions)
            end as {{ type_double() }}
        ) as animoji_session_share,
        cast(1.0 * animoji_sessions / segment_users as {{ type_double() }}) as animoji_sessions_per_user,
        cast(1.0 * faceid_sessions / segment_users as {{ type_double() }}) as faceid_sessions_per_user,
        cast(animoji_seconds / segment_users as {{ type_double() }}) as animoji_seconds_per_user,
        cast(faceid_seconds / segment_users as {{ type_double() }}) as faceid_seconds_per_user,
        cast(
            case
                when animoji_sessions + faceid_sessions = 0 then null
                when animoji_sessions >= faceid_sessions then 'Animoji'
                else 'FaceID'
            end as {{ dbt.type_string() }}
        ) as primary_product
    from segment_totals
)

select * from final

with

classified_captures as (
    select * from {{ ref('int_landmark_captures_classified') }}
),

final as (
    select
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        cast(captured_at as {{ dbt.type_timestamp() }}) as captured_at,
        cast(landmarks_present as {{ dbt.type_bigint() }}) as landmarks_present,
        cast(expected_landmarks as {{ dbt.type_bigint() }}) as expected_landmarks,
        cast(out_of_range_landmarks as {{ dbt.type_bigint() }}) as out_of_range_landmarks,
        cast(capture_deviation as {{ type_double() }}) as capture_deviation,
        cast(anomaly_score as {{ type_double() }}) as anomaly_score,
        is_anomaly,
        cast(reason as {{ dbt.type_string() }}) as reason
    from classified_captures
)

select * from final

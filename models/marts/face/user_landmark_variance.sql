with

landmarks as (
    select * from {{ ref('stg_face__facial_landmarks') }}
),

capture_periods as (
    select * from {{ ref('int_landmark_captures_periodised') }}
),

landmarks_in_periods as (
    select
        capture_periods.user_id,
        capture_periods.period_start,
        capture_periods.period_end,
        landmarks.landmark_id,
        landmarks.x,
        landmarks.y,
        landmarks.z
    from landmarks
    inner join capture_periods
        on
            landmarks.user_id = capture_periods.user_id
            and landmarks.captured_at = capture_periods.captured_at
),

variances as (
    select
        user_id,
        period_start,
        period_end,
        landmark_id,
        count(*) as captures,
        -- Sample variances (n - 1 denominator): null when the landmark has one capture.
        var_samp(x) as var_x,
        var_samp(y) as var_y,
        var_samp(z) as var_z
    from landmarks_in_periods
    group by user_id, period_start, period_end, landmark_id
),

final as (
    select
        user_id,
        period_start,
        period_end,
        landmark_id,
        captures,
        var_x,
        var_y,
        var_z,
        var_x + var_y + var_z as total_variance
    from variances
)

select * from final

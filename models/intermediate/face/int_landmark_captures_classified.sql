{#- Every capture classified for sensor faults: the one definition of a sensor fault, published by
    landmark_capture_anomalies and used by the experiments' landmark jitter to leave faults out.
    Relative to each user's own captures, so it holds in any coordinate unit: the expected
    landmark count is the user's most common count, the score compares deviations within the
    user, and the frame is the user's own (int_landmark_captures_summarised). -#}
{%- set z_threshold = var('landmark_anomaly_z_threshold') -%}
{%- set spread_floor = var('landmark_deviation_spread_floor') -%}
{%- set min_captures = var('landmark_min_captures_for_score') -%}

with

summarised_captures as (
    select * from {{ ref('int_landmark_captures_summarised') }}
),

duplicates as (
    select * from {{ ref('int_landmark_duplicates_identified') }}
),

captures as (
    select
        summarised_captures.user_id,
        summarised_captures.captured_at,
        summarised_captures.landmarks_present,
        summarised_captures.out_of_range_landmarks,
        summarised_captures.capture_deviation,
        duplicates.duplicate_of_captured_at is not null as is_duplicate_capture
    from summarised_captures
    left join duplicates
        on
            summarised_captures.user_id = duplicates.user_id
            and summarised_captures.captured_at = duplicates.captured_at
),

-- The landmark count a full capture of the user has: the user's most common count (ties: the
-- larger), so a 68-point dlib user and a 468-point MediaPipe user are each judged by their own.
user_landmark_counts as (
    select
        user_id,
        landmarks_present,
        count(*) as captures_with_count
    from captures
    group by user_id, landmarks_present
),

user_expected_landmarks as (
    select
        user_id,
        landmarks_present as expected_landmarks
    from (
        select
            user_id,
            landmarks_present,
            row_number() over (
                partition by user_id order by captures_with_count desc, landmarks_present desc
            ) as count_rank
        from user_landmark_counts
    ) as ranked_counts
    where count_rank = 1
),

user_centres as (
    select
        user_id,
        count(*) as user_captures,
        percentile_cont(0.5) within group (order by capture_deviation) as median_deviation
    from captures
    group by user_id
),

user_spreads as (
    select
        captures.user_id,
        percentile_cont(0.5) within group (
            order by abs(captures.capture_deviation - user_centres.median_deviation)
        ) as mad_deviation
    from captures
    inner join user_centres
        on captures.user_id = user_centres.user_id
    group by captures.user_id
),

scored as (
    select
        captures.user_id,
        captures.captured_at,
        captures.landmarks_present,
        user_expected_landmarks.expected_landmarks,
        captures.out_of_range_landmarks,
        captures.is_duplicate_capture,
        captures.capture_deviation,
        -- Robust z-score: distance above the user's median deviation in units of the scaled
        -- MAD, floored at a share of the median so a very steady user is not over-flagged.
        case
            when user_centres.user_captures >= {{ min_captures }}
                then (captures.capture_deviation - user_centres.median_deviation)
                    / nullif(
                        greatest(
                            {{ mad_to_standard_deviation() }} * user_spreads.mad_deviation,
                            {{ spread_floor }} * user_centres.median_deviation
                        ),
                        0
                    )
        end as anomaly_score
    from captures
    inner join user_centres
        on captures.user_id = user_centres.user_id
    inner join user_spreads
        on captures.user_id = user_spreads.user_id
    inner join user_expected_landmarks
        on captures.user_id = user_expected_landmarks.user_id
),

reasoned as (
    select
        *,
        -- One reason per capture, the first that applies in this order.
        case
            when is_duplicate_capture then 'duplicate_capture'
            when out_of_range_landmarks > 0 then 'out_of_range'
            when landmarks_present < expected_landmarks then 'missing_landmarks'
            when anomaly_score > {{ z_threshold }} then 'deviation'
            else 'none'
        end as reason
    from scored
),

final as (
    select
        user_id,
        captured_at,
        landmarks_present,
        expected_landmarks,
        out_of_range_landmarks,
        capture_deviation,
        anomaly_score,
        reason != 'none' as is_anomaly,
        reason
    from reasoned
)

select * from final

{#- Captures that repeat an earlier capture of the same user point for point (a frozen sensor
    sending an old frame under a new timestamp). Candidates share the landmark count and the
    exact minimum and maximum of every coordinate; a candidate counts only when every one of
    its points equals the earlier capture's point for the same landmark. -#}
{#- A view: read once, by the int_landmark_captures_classified table. -#}
{{ config(materialized='view') }}

with

captures as (
    select * from {{ ref('int_landmark_captures_summarised') }}
),

landmarks as (
    select * from {{ ref('stg_face__facial_landmarks') }}
),

candidates as (
    select
        later.user_id,
        later.captured_at,
        earlier.captured_at as earlier_captured_at,
        later.landmarks_present
    from captures as later
    inner join captures as earlier
        on
            later.user_id = earlier.user_id
            and later.landmarks_present = earlier.landmarks_present
            and later.min_x = earlier.min_x
            and later.max_x = earlier.max_x
            and later.min_y = earlier.min_y
            and later.max_y = earlier.max_y
            and later.min_z = earlier.min_z
            and later.max_z = earlier.max_z
    where earlier.captured_at < later.captured_at
),

candidate_points as (
    select
        candidates.user_id,
        candidates.captured_at,
        candidates.earlier_captured_at,
        landmarks.landmark_id,
        landmarks.x,
        landmarks.y,
        landmarks.z
    from landmarks
    inner join candidates
        on
            landmarks.user_id = candidates.user_id
            and landmarks.captured_at = candidates.captured_at
),

earlier_points as (
    select
        candidates.user_id,
        candidates.captured_at,
        candidates.earlier_captured_at,
        landmarks.landmark_id,
        landmarks.x,
        landmarks.y,
        landmarks.z
    from landmarks
    inner join candidates
        on
            landmarks.user_id = candidates.user_id
            and landmarks.captured_at = candidates.earlier_captured_at
),

matched as (
    select
        candidate_points.user_id,
        candidate_points.captured_at,
        candidate_points.earlier_captured_at,
        count(*) as equal_points
    from candidate_points
    inner join earlier_points
        on
            candidate_points.user_id = earlier_points.user_id
            and candidate_points.captured_at = earlier_points.captured_at
            and candidate_points.earlier_captured_at = earlier_points.earlier_captured_at
            and candidate_points.landmark_id = earlier_points.landmark_id
            and candidate_points.x = earlier_points.x
            and candidate_points.y = earlier_points.y
            and candidate_points.z = earlier_points.z
    group by
        candidate_points.user_id,
        candidate_points.captured_at,
        candidate_points.earlier_captured_at
),

verified as (
    select
        matched.user_id,
        matched.captured_at,
        matched.earlier_captured_at
    from matched
    inner join candidates
        on
            matched.user_id = candidates.user_id
            and matched.captured_at = candidates.captured_at
            and matched.earlier_captured_at = candidates.earlier_captured_at
    where matched.equal_points = candidates.landmarks_present
),

final as (
    select
        user_id,
        captured_at,
        min(earlier_captured_at) as duplicate_of_captured_at
    from verified
    group by user_id, captured_at
)

select * from final

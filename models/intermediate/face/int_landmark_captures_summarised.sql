{#- One row per capture with the statistics every landmark mart builds on. The user's typical
    shape (per-landmark median coordinates over all of the user's captures) is the centre the
    deviation is measured from; medians keep one bad capture from moving it. -#}
{{ config(materialized='table') }}

with

staged_landmarks as (
    select * from {{ ref('stg_face__facial_landmarks') }}
),

-- Distances are computed in double precision whatever width staging stores coordinates in.
landmarks as (
    select
        user_id,
        captured_at,
        landmark_id,
        cast(x as double) as x,
        cast(y as double) as y,
        cast(z as double) as z
    from staged_landmarks
),

typical_shapes as (
    select
        user_id,
        landmark_id,
        percentile_cont(0.5) within group (order by x) as typical_x,
        percentile_cont(0.5) within group (order by y) as typical_y,
        percentile_cont(0.5) within group (order by z) as typical_z
    from landmarks
    group by user_id, landmark_id
),

point_deviations as (
    select
        landmarks.user_id,
        landmarks.captured_at,
        landmarks.x,
        landmarks.y,
        landmarks.z,
        (landmarks.x - typical_shapes.typical_x) * (landmarks.x - typical_shapes.typical_x)
        + (landmarks.y - typical_shapes.typical_y) * (landmarks.y - typical_shapes.typical_y)
        + (landmarks.z - typical_shapes.typical_z) * (landmarks.z - typical_shapes.typical_z)
            as squared_distance,
        -- The normalised frame of the raw-data contract: x, y in 0..1, z in -1..1.
        case
            when
                landmarks.x < 0 or landmarks.x > 1
                or landmarks.y < 0 or landmarks.y > 1
                or landmarks.z < -1 or landmarks.z > 1
                then 1
            else 0
        end as is_out_of_range
    from landmarks
    inner join typical_shapes
        on
            landmarks.user_id = typical_shapes.user_id
            and landmarks.landmark_id = typical_shapes.landmark_id
),

captures as (
    select
        user_id,
        captured_at,
        count(*) as landmarks_present,
        sum(is_out_of_range) as out_of_range_landmarks,
        avg(squared_distance) as mean_squared_deviation,
        -- Exact, order-independent summaries of the point set: candidates for a frozen sensor.
        min(x) as min_x,
        max(x) as max_x,
        min(y) as min_y,
        max(y) as max_y,
        min(z) as min_z,
        max(z) as max_z
    from point_deviations
    group by user_id, captured_at
),

duplicate_candidates as (
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

-- A candidate is a duplicate only when every point equals the earlier capture's point.
matched_points as (
    select
        duplicate_candidates.user_id,
        duplicate_candidates.captured_at,
        duplicate_candidates.earlier_captured_at,
        duplicate_candidates.landmarks_present,
        count(*) as equal_points
    from duplicate_candidates
    inner join landmarks as later_points
        on
            duplicate_candidates.user_id = later_points.user_id
            and duplicate_candidates.captured_at = later_points.captured_at
    inner join landmarks as earlier_points
        on
            later_points.user_id = earlier_points.user_id
            and duplicate_candidates.earlier_captured_at = earlier_points.captured_at
            and later_points.landmark_id = earlier_points.landmark_id
            and later_points.x = earlier_points.x
            and later_points.y = earlier_points.y
            and later_points.z = earlier_points.z
    group by
        duplicate_candidates.user_id,
        duplicate_candidates.captured_at,
        duplicate_candidates.earlier_captured_at,
        duplicate_candidates.landmarks_present
),

duplicates as (
    select
        user_id,
        captured_at,
        min(earlier_captured_at) as duplicate_of_captured_at
    from matched_points
    where equal_points = landmarks_present
    group by user_id, captured_at
),

final as (
    select
        captures.user_id,
        captures.captured_at,
        row_number() over (
            partition by captures.user_id order by captures.captured_at
        ) as capture_seq,
        captures.landmarks_present,
        captures.out_of_range_landmarks,
        captures.mean_squared_deviation,
        sqrt(captures.mean_squared_deviation) as capture_deviation,
        duplicates.duplicate_of_captured_at,
        duplicates.duplicate_of_captured_at is not null as is_duplicate_capture
    from captures
    left join duplicates
        on
            captures.user_id = duplicates.user_id
            and captures.captured_at = duplicates.captured_at
)

select * from final

{#- Landmark jitter of each capture of a face experiment's users, over the pre-period and the
    experiment window (see the landmark_jitter docs): the mean over the capture's landmarks of
    the squared distance from the user's mean position of that landmark in that period.
    Sensor faults are left out first: captures with a point outside the normalised frame, and
    captures that deviate from the user's typical shape (mean landmark positions over all their
    in-frame captures) more than experiment_jitter_fault_factor times the user's mean deviation. -#}

{{ config(materialized='table') }}

with

windowed as (
    select * from {{ ref('int_experiment_assignments_windowed') }}
    where surface = 'face'
),

landmarks as (
    select * from {{ ref('stg_face__facial_landmarks') }}
),

face_users as (
    select distinct user_id from windowed
),

user_landmarks as (
    select
        landmarks.user_id,
        landmarks.captured_at,
        landmarks.landmark_id,
        landmarks.x,
        landmarks.y,
        landmarks.z
    from landmarks
    inner join face_users on landmarks.user_id = face_users.user_id
),

out_of_frame_captures as (
    select distinct
        user_id,
        captured_at
    from user_landmarks
    where x < 0 or x > 1 or y < 0 or y > 1 or z < -1 or z > 1
),

in_frame as (
    select user_landmarks.*
    from user_landmarks
    left join out_of_frame_captures
        on
            user_landmarks.user_id = out_of_frame_captures.user_id
            and user_landmarks.captured_at = out_of_frame_captures.captured_at
    where out_of_frame_captures.user_id is null
),

typical_shapes as (
    select
        user_id,
        landmark_id,
        avg(x) as typical_x,
        avg(y) as typical_y,
        avg(z) as typical_z
    from in_frame
    group by user_id, landmark_id
),

capture_deviations as (
    select
        in_frame.user_id,
        in_frame.captured_at,
        avg(
            (in_frame.x - typical_shapes.typical_x) * (in_frame.x - typical_shapes.typical_x)
            + (in_frame.y - typical_shapes.typical_y) * (in_frame.y - typical_shapes.typical_y)
            + (in_frame.z - typical_shapes.typical_z) * (in_frame.z - typical_shapes.typical_z)
        ) as capture_deviation
    from in_frame
    inner join typical_shapes
        on
            in_frame.user_id = typical_shapes.user_id
            and in_frame.landmark_id = typical_shapes.landmark_id
    group by in_frame.user_id, in_frame.captured_at
),

steady_captures as (
    select
        user_id,
        captured_at
    from (
        select
            user_id,
            captured_at,
            capture_deviation,
            avg(capture_deviation) over (partition by user_id) as user_mean_deviation
        from capture_deviations
    ) as deviations
    where capture_deviation <= {{ var('experiment_jitter_fault_factor') }} * user_mean_deviation
),

periods as (
    select
        windowed.experiment_id,
        windowed.user_id,
        in_frame.captured_at,
        in_frame.landmark_id,
        in_frame.x,
        in_frame.y,
        in_frame.z,
        cast(in_frame.captured_at as date) < windowed.start_date as is_pre_period
    from in_frame
    inner join steady_captures
        on
            in_frame.user_id = steady_captures.user_id
            and in_frame.captured_at = steady_captures.captured_at
    inner join windowed on in_frame.user_id = windowed.user_id
    where
        cast(in_frame.captured_at as date) >= windowed.pre_start_date
        and cast(in_frame.captured_at as date) <= windowed.end_date
),

centred as (
    select
        experiment_id,
        user_id,
        captured_at,
        is_pre_period,
        landmark_id,
        x - avg(x) over landmark_period as dx,
        y - avg(y) over landmark_period as dy,
        z - avg(z) over landmark_period as dz
    from periods
    window landmark_period as (partition by experiment_id, user_id, is_pre_period, landmark_id)
),

scored as (
    select
        experiment_id,
        user_id,
        captured_at,
        is_pre_period,
        count(*) as landmarks,
        avg(dx * dx + dy * dy + dz * dz) as capture_jitter
    from centred
    group by experiment_id, user_id, captured_at, is_pre_period
),

final as (
    select * from scored
)

select * from final

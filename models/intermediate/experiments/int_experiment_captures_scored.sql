{#- Landmark jitter of each capture of a face experiment's users, over the pre-period and the
    experiment window (see the landmark_jitter docs): the mean over the capture's landmarks of
    the squared distance from the user's mean position of that landmark in that period.
    Captures with a point outside the normalised frame are sensor faults and left out. -#}

{{ config(materialized='table') }}

with

windowed as (
    select * from {{ ref('int_experiment_assignments_windowed') }}
    where surface = 'face'
),

landmarks as (
    select * from {{ ref('stg_face__facial_landmarks') }}
),

periods as (
    select
        windowed.experiment_id,
        windowed.user_id,
        landmarks.captured_at,
        landmarks.landmark_id,
        landmarks.x,
        landmarks.y,
        landmarks.z,
        cast(landmarks.captured_at as date) < windowed.start_date as is_pre_period
    from landmarks
    inner join windowed on landmarks.user_id = windowed.user_id
    where
        cast(landmarks.captured_at as date) >= windowed.pre_start_date
        and cast(landmarks.captured_at as date) <= windowed.end_date
),

flagged as (
    select
        *,
        max(
            case
                when x < 0 or x > 1 or y < 0 or y > 1 or z < -1 or z > 1 then 1 else 0
            end
        ) over (partition by experiment_id, user_id, captured_at) as has_point_out_of_frame
    from periods
),

in_frame as (
    select * from flagged
    where has_point_out_of_frame = 0
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
    from in_frame
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

{#- Landmark jitter of each capture of a face experiment's users, over the pre-period and the
    experiment window (see the landmark_jitter docs): the mean over the capture's landmarks of
    the squared distance from the user's mean position of that landmark in that period.
    Sensor faults are left out first, by the one definition the face domain publishes in
    landmark_capture_anomalies: every capture that int_landmark_captures_classified flags
    (duplicate, out of frame, missing landmarks or a deviation anomaly). Without the face domain
    in the build, no captures: the same columns from no rows. -#}

{% if domain_enabled('face') %}

with

windowed as (
    select * from {{ ref('int_experiment_assignments_windowed') }}
    where surface = 'face'
),

landmarks as (
    select * from {{ ref('stg_face__facial_landmarks') }}
),

classified_captures as (
    select * from {{ ref('int_landmark_captures_classified') }}
),

fault_free_captures as (
    select
        user_id,
        captured_at
    from classified_captures
    where not is_anomaly
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
    inner join fault_free_captures
        on
            landmarks.user_id = fault_free_captures.user_id
            and landmarks.captured_at = fault_free_captures.captured_at
    inner join windowed on landmarks.user_id = windowed.user_id
    where
        cast(landmarks.captured_at as date) >= windowed.pre_start_date
        and cast(landmarks.captured_at as date) <= windowed.end_date
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

{% else %}

with

final as (
    select
        cast(null as {{ dbt.type_string() }}) as experiment_id,
        cast(null as {{ dbt.type_bigint() }}) as user_id,
        cast(null as {{ dbt.type_timestamp() }}) as captured_at,
        cast(null as {{ dbt.type_boolean() }}) as is_pre_period,
        cast(null as {{ dbt.type_bigint() }}) as landmarks,
        cast(null as {{ type_double() }}) as capture_jitter
    where false
)

select * from final

{% endif %}

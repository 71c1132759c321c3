{#- One row per capture with the statistics every landmark mart builds on, in one pass over the
    landmark rows: the deviation is measured from the user's typical shape
    (int_landmark_shapes_aggregated). -#}
{{ config(materialized='table') }}

with

landmarks as (
    select * from {{ ref('stg_face__facial_landmarks') }}
),

typical_shapes as (
    select * from {{ ref('int_landmark_shapes_aggregated') }}
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

final as (
    select
        user_id,
        captured_at,
        row_number() over (partition by user_id order by captured_at) as capture_seq,
        landmarks_present,
        out_of_range_landmarks,
        mean_squared_deviation,
        sqrt(mean_squared_deviation) as capture_deviation,
        min_x,
        max_x,
        min_y,
        max_y,
        min_z,
        max_z
    from captures
)

select * from final

{#- Each user's typical shape: per landmark, the median x, y and z over all of the user's
    captures. Medians keep a distorted, shifted or out-of-frame capture from pulling the shape
    towards itself. Its own table, so the landmark rows are read once per pass. -#}
with

landmarks as (
    select * from {{ ref('stg_face__facial_landmarks') }}
),

shapes as (
    select
        user_id,
        landmark_id,
        count(*) as captures,
        percentile_cont(0.5) within group (order by x) as typical_x,
        percentile_cont(0.5) within group (order by y) as typical_y,
        percentile_cont(0.5) within group (order by z) as typical_z
    from landmarks
    group by user_id, landmark_id
),

final as (
    select * from shapes
)

select * from final

{#- One row per capture with the statistics every landmark mart builds on, in one pass over the
    landmark rows: the deviation is measured from the user's typical shape
    (int_landmark_shapes_aggregated), and a point is out of frame by the rule of the
    landmark_frame docs block, in whatever unit the coordinates come. -#}
{%- set margin = var('landmark_frame_margin') -%}
{%- set bounds = var('landmark_frame_bounds') or {} -%}
{%- set out_of_frame = [] -%}
{%- set frame_axes = ['x', 'y', 'z'] if margin is not none and margin != '' else [] -%}
{%- for axis in frame_axes -%}
{%- do out_of_frame.append(
    '(user_frames.face_size > 0 and (landmarks.' ~ axis ~ ' < user_frames.frame_min_' ~ axis
    ~ ' - ' ~ margin ~ ' * user_frames.face_size or landmarks.' ~ axis ~ ' > user_frames.frame_max_'
    ~ axis ~ ' + ' ~ margin ~ ' * user_frames.face_size))'
) -%}
{%- endfor -%}
{%- for axis, axis_bounds in bounds.items() -%}
{%- if axis not in ['x', 'y', 'z'] or axis_bounds | length != 2 -%}
{{ exceptions.raise_compiler_error(
    "landmark_frame_bounds takes x, y and/or z, each as [low, high]; got " ~ axis ~ ": " ~ axis_bounds
) }}
{%- endif -%}
{%- do out_of_frame.append(
    '(landmarks.' ~ axis ~ ' < ' ~ axis_bounds[0] ~ ' or landmarks.' ~ axis ~ ' > ' ~ axis_bounds[1] ~ ')'
) -%}
{%- endfor -%}
{%- if not out_of_frame -%}{%- do out_of_frame.append('false') -%}{%- endif -%}

with

landmarks as (
    select * from {{ ref('stg_face__facial_landmarks') }}
),

typical_shapes as (
    select * from {{ ref('int_landmark_shapes_aggregated') }}
),

-- The user's own frame: the box around their typical shape and the face's size (its largest
-- extent along an axis), both in the coordinates' unit.
user_frames as (
    select
        user_id,
        min(typical_x) as frame_min_x,
        max(typical_x) as frame_max_x,
        min(typical_y) as frame_min_y,
        max(typical_y) as frame_max_y,
        min(typical_z) as frame_min_z,
        max(typical_z) as frame_max_z,
        greatest(
            max(typical_x) - min(typical_x),
            max(typical_y) - min(typical_y),
            max(typical_z) - min(typical_z)
        ) as face_size
    from typical_shapes
    group by user_id
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
        -- 1 when the point is out of frame (see the landmark_frame docs): more than
        -- landmark_frame_margin face sizes outside the user's own frame, or outside the fixed
        -- bounds of landmark_frame_bounds when they are set.
        case
            when {{ out_of_frame | join('\n                or ') }}
                then 1
            else 0
        end as is_out_of_range
    from landmarks
    inner join typical_shapes
        on
            landmarks.user_id = typical_shapes.user_id
            and landmarks.landmark_id = typical_shapes.landmark_id
    inner join user_frames
        on landmarks.user_id = user_frames.user_id
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

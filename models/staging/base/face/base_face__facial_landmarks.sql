with

source as (
    select * from {{ source('raw', 'user_facial_data') }}
),

typed as (
    select
        {{ dbt.safe_cast('user_id', dbt.type_bigint()) }} as user_id,
        {{ dbt.safe_cast('captured_at', dbt.type_timestamp()) }} as captured_at,
        {{ dbt.safe_cast('landmark_id', dbt.type_int()) }} as landmark_id,
        {{ dbt.safe_cast('x', type_double()) }} as x,
        {{ dbt.safe_cast('y', type_double()) }} as y,
        {{ dbt.safe_cast('z', type_double()) }} as z,
        captured_at as raw_captured_at
    from source
),

keyed as (
    select
        *,
        {{ record_key(['user_id', 'captured_at', 'landmark_id']) }} as record_key,
        row_number() over (
            partition by user_id, captured_at, landmark_id order by x, y, z
        ) as key_ordinal
    from typed
),

checked as (
    select
        *,
        case
            when {{ failed_cast('raw_captured_at', 'captured_at') }} then 'unparseable_timestamp'
            when user_id is null or captured_at is null or landmark_id is null then 'missing_key'
            when key_ordinal > 1 then 'duplicate_key'
            -- Landmark ids are any non-negative integer: 68 points for dlib, 468 or 478 for
            -- MediaPipe, 1,220 vertices for ARKit. How many a full capture has is read from the
            -- data downstream (int_landmark_captures_classified).
            when landmark_id < 0 then 'unknown_category'
            when x is null or y is null or z is null
                or not {{ is_finite('x') }} or not {{ is_finite('y') }} or not {{ is_finite('z') }}
                then 'invalid_coordinate'
        end as quarantine_reason
    from keyed
),

final as (
    select
        user_id,
        captured_at,
        landmark_id,
        x,
        y,
        z,
        record_key,
        key_ordinal,
        quarantine_reason
    from checked
)

select * from final

with

source as (
    select * from {{ source('raw', 'videos') }}
),

typed as (
    select
        {{ dbt.safe_cast('video_id', dbt.type_bigint()) }} as video_id,
        nullif(trim(cast(genre as {{ dbt.type_string() }})), '') as genre,
        {{ dbt.safe_cast('upload_date', 'date') }} as upload_date,
        upload_date as raw_upload_date
    from source
),

keyed as (
    select
        *,
        {{ record_key(['video_id']) }} as record_key,
        row_number() over (partition by video_id order by genre, upload_date) as key_ordinal
    from typed
),

checked as (
    select
        *,
        case
            when video_id is null then 'missing_key'
            when key_ordinal > 1 then 'duplicate_key'
            when genre is null then 'missing_category'
            when {{ failed_cast('raw_upload_date', 'upload_date') }} then 'unparseable_timestamp'
            when upload_date is null then 'missing_timestamp'
        end as quarantine_reason
    from keyed
),

final as (
    select
        video_id,
        genre,
        upload_date,
        record_key,
        key_ordinal,
        quarantine_reason
    from checked
)

select * from final

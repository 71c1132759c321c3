with

source as (
    select * from {{ source('raw', 'users') }}
),

typed as (
    select
        {{ dbt.safe_cast('user_id', dbt.type_bigint()) }} as user_id,
        nullif(trim(cast(preferred_genre as {{ dbt.type_string() }})), '') as preferred_genre,
        {{ dbt.safe_cast('last_active', 'date') }} as last_active_date,
        last_active as raw_last_active
    from source
),

keyed as (
    select
        *,
        {{ record_key(['user_id']) }} as record_key,
        row_number() over (
            partition by user_id order by preferred_genre, last_active_date
        ) as key_ordinal
    from typed
),

checked as (
    select
        *,
        case
            when user_id is null then 'missing_key'
            when key_ordinal > 1 then 'duplicate_key'
            when preferred_genre is null then 'missing_category'
            when {{ failed_cast('raw_last_active', 'last_active_date') }} then 'unparseable_timestamp'
        end as quarantine_reason
    from keyed
),

final as (
    select
        user_id,
        preferred_genre,
        last_active_date,
        record_key,
        key_ordinal,
        quarantine_reason
    from checked
)

select * from final

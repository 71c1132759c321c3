with

source as (
    select * from {{ source('raw', 'product_interactions') }}
),

products as (
    {{ accepted_categories('product_interactions', 'product') }}
),

typed as (
    select
        {{ dbt.safe_cast('user_id', dbt.type_bigint()) }} as user_id,
        {{ dbt.safe_cast('started_at', dbt.type_timestamp()) }} as started_at,
        {{ category_key('product') }} as product_key,
        {{ dbt.safe_cast('interaction_time', type_double()) }} as interaction_time_seconds,
        started_at as raw_started_at
    from source
),

keyed as (
    select
        *,
        {{ record_key(['user_id', 'started_at', 'product_key']) }} as record_key,
        row_number() over (
            partition by user_id, started_at, product_key order by interaction_time_seconds
        ) as key_ordinal
    from typed
),

checked as (
    select
        keyed.*,
        products.value as product,
        case
            when {{ failed_cast('keyed.raw_started_at', 'keyed.started_at') }} then 'unparseable_timestamp'
            when keyed.user_id is null or keyed.started_at is null or keyed.product_key is null
                then 'missing_key'
            when keyed.key_ordinal > 1 then 'duplicate_key'
            when products.value is null then 'unknown_category'
            when keyed.interaction_time_seconds is null
                or not {{ is_finite('keyed.interaction_time_seconds') }}
                or keyed.interaction_time_seconds < 0
                then 'invalid_duration'
        end as quarantine_reason
    from keyed
    left join products on keyed.product_key = products.value_key
),

final as (
    select
        user_id,
        started_at,
        product,
        interaction_time_seconds,
        record_key,
        key_ordinal,
        quarantine_reason
    from checked
)

select * from final

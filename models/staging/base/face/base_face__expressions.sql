with

source as (
    select * from {{ source('raw', 'user_expressions') }}
),

expression_types as (
    {{ accepted_categories('user_expressions', 'expression_type') }}
),

typed as (
    select
        {{ dbt.safe_cast('user_id', dbt.type_bigint()) }} as user_id,
        {{ dbt.safe_cast('recorded_at', dbt.type_timestamp()) }} as recorded_at,
        -- An empty or blank type is a missing key part.
        nullif({{ category_key('expression_type') }}, '') as expression_type_key,
        {{ dbt.safe_cast('expression_strength', type_double()) }} as expression_strength,
        recorded_at as raw_recorded_at
    from source
),

keyed as (
    select
        *,
        {{ record_key(['user_id', 'recorded_at', 'expression_type_key']) }} as record_key,
        row_number() over (
            partition by user_id, recorded_at, expression_type_key order by expression_strength
        ) as key_ordinal
    from typed
),

checked as (
    select
        keyed.*,
        -- An open vocabulary: a type outside the seed's known list is kept in its normalised
        -- spelling (lower case, trimmed) and flagged, never quarantined.
        coalesce(expression_types.value, keyed.expression_type_key) as expression_type,
        expression_types.value is not null as is_known_expression_type,
        case
            when {{ failed_cast('keyed.raw_recorded_at', 'keyed.recorded_at') }} then 'unparseable_timestamp'
            when keyed.user_id is null or keyed.recorded_at is null or keyed.expression_type_key is null
                then 'missing_key'
            when keyed.key_ordinal > 1 then 'duplicate_key'
            when keyed.expression_strength is null
                or not {{ is_finite('keyed.expression_strength') }}
                or keyed.expression_strength < 0
                or keyed.expression_strength > 1
                then 'strength_out_of_range'
        end as quarantine_reason
    from keyed
    left join expression_types on keyed.expression_type_key = expression_types.value_key
),

final as (
    select
        user_id,
        recorded_at,
        expression_type,
        is_known_expression_type,
        expression_strength,
        record_key,
        key_ordinal,
        quarantine_reason
    from checked
)

select * from final

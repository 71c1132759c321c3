with

source as (
    select * from {{ source('raw', 'experiments') }}
),

surfaces as (
    {{ accepted_categories('experiments', 'surface') }}
),

typed as (
    select
        nullif(trim(cast(experiment_id as {{ dbt.type_string() }})), '') as experiment_id,
        {{ category_key('surface') }} as surface_key,
        {{ dbt.safe_cast('start_date', 'date') }} as start_date,
        {{ dbt.safe_cast('end_date', 'date') }} as end_date,
        nullif({{ category_key('control_variant') }}, '') as control_variant,
        {#- double, not dbt.type_float(): that is a 4-byte real on DuckDB (0.3 would read 0.30000001). #}
        {{ dbt.safe_cast('treatment_share', 'double') }} as treatment_share,
        start_date as raw_start_date,
        end_date as raw_end_date
    from source
),

keyed as (
    select
        *,
        {{ record_key(['experiment_id']) }} as record_key,
        row_number() over (partition by experiment_id order by start_date, end_date) as key_ordinal
    from typed
),

checked as (
    select
        keyed.*,
        surfaces.value as surface,
        case
            when keyed.experiment_id is null then 'missing_key'
            when keyed.key_ordinal > 1 then 'duplicate_key'
            when surfaces.value is null or keyed.control_variant is null then 'unknown_category'
            when {{ failed_cast('keyed.raw_start_date', 'keyed.start_date') }}
                or {{ failed_cast('keyed.raw_end_date', 'keyed.end_date') }}
                then 'unparseable_timestamp'
            when keyed.start_date is null or keyed.end_date is null then 'missing_timestamp'
            when keyed.end_date < keyed.start_date then 'invalid_window'
            when keyed.treatment_share is null
                or not {{ is_finite('keyed.treatment_share') }}
                or keyed.treatment_share <= 0
                or keyed.treatment_share >= 1
                then 'share_out_of_range'
        end as quarantine_reason
    from keyed
    left join surfaces on keyed.surface_key = surfaces.value_key
),

final as (
    select
        experiment_id,
        surface,
        start_date,
        end_date,
        control_variant,
        treatment_share,
        record_key,
        key_ordinal,
        quarantine_reason
    from checked
)

select * from final

{#- The experiment registry, checked. The planned split comes from `arms` when the row declares
    it (see the experiment_arms docs: every entry `name:share`, at least two arms, the control
    among them, shares summing to 1 or to 100), else from `treatment_share`. -#}

{%- set tolerance = var('experiment_arm_share_tolerance') %}

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
        {{ dbt.safe_cast('treatment_share', type_double()) }} as given_treatment_share,
        nullif(trim(cast(treatment_share as {{ dbt.type_string() }})), '') as raw_treatment_share,
        nullif(trim(cast(arms as {{ dbt.type_string() }})), '') as arms,
        start_date as raw_start_date,
        end_date as raw_end_date
    from source
),

keyed as (
    select
        *,
        {{ record_key(['experiment_id']) }} as record_key,
        row_number() over (
            partition by experiment_id
            order by
                start_date nulls last,
                end_date nulls last,
                surface_key nulls last,
                control_variant nulls last,
                raw_treatment_share nulls last,
                arms nulls last
        ) as key_ordinal
    from typed
),

arm_entries as (
    {{ experiment_arm_entries('keyed', ['experiment_id', 'key_ordinal', 'control_variant']) }}
),

arm_checks as (
    select
        experiment_id,
        key_ordinal,
        count(*) as arm_entries,
        count(distinct variant) as distinct_arms,
        sum(
            case
                when
                    separators = 1
                    and variant is not null
                    and planned_share is not null
                    and {{ is_finite('planned_share') }}
                    and planned_share > 0
                    then 0
                else 1
            end
        ) as invalid_entries,
        sum(planned_share) as share_total,
        max(case when variant = control_variant then planned_share end) as control_share
    from arm_entries
    group by experiment_id, key_ordinal
),

declared as (
    select
        keyed.*,
        keyed.arms is not null as has_declared_arms,
        arm_checks.arm_entries,
        arm_checks.distinct_arms,
        arm_checks.invalid_entries,
        arm_checks.share_total,
        case
            when abs(arm_checks.share_total - 1) <= {{ tolerance }} then 1
            when abs(arm_checks.share_total - 100) <= 100 * {{ tolerance }} then 100
        end as share_scale,
        1 - arm_checks.control_share / arm_checks.share_total as declared_treatment_share
    from keyed
    left join arm_checks
        on
            keyed.experiment_id = arm_checks.experiment_id
            and keyed.key_ordinal = arm_checks.key_ordinal
),

checked as (
    select
        declared.*,
        surfaces.value as surface,
        case
            when declared.experiment_id is null then 'missing_key'
            when declared.key_ordinal > 1 then 'duplicate_key'
            when surfaces.value is null or declared.control_variant is null then 'unknown_category'
            when {{ failed_cast('declared.raw_start_date', 'declared.start_date') }}
                or {{ failed_cast('declared.raw_end_date', 'declared.end_date') }}
                then 'unparseable_timestamp'
            when declared.start_date is null or declared.end_date is null then 'missing_timestamp'
            when declared.end_date < declared.start_date then 'invalid_window'
            when not declared.has_declared_arms
                and (
                    declared.given_treatment_share is null
                    or not {{ is_finite('declared.given_treatment_share') }}
                    or declared.given_treatment_share <= 0
                    or declared.given_treatment_share >= 1
                )
                then 'share_out_of_range'
            when not declared.has_declared_arms then null
            when
                {{ experiment_arm_count('declared.arms') }} > {{ experiment_max_arms() }}
                or coalesce(declared.arm_entries, 0) < 2
                or declared.invalid_entries > 0
                or declared.distinct_arms < declared.arm_entries
                then 'invalid_arms'
            when declared.share_scale is null then 'arm_shares_not_one'
            when declared.declared_treatment_share is null then 'control_not_in_arms'
            when declared.raw_treatment_share is not null
                and (
                    declared.given_treatment_share is null
                    or not {{ is_finite('declared.given_treatment_share') }}
                    or abs(declared.given_treatment_share - declared.declared_treatment_share) > {{ tolerance }}
                )
                then 'treatment_share_mismatch'
        end as quarantine_reason
    from declared
    left join surfaces on declared.surface_key = surfaces.value_key
),

final as (
    select
        experiment_id,
        surface,
        start_date,
        end_date,
        control_variant,
        case
            when has_declared_arms then declared_treatment_share
            else given_treatment_share
        end as treatment_share,
        arms,
        has_declared_arms,
        record_key,
        key_ordinal,
        quarantine_reason
    from checked
)

select * from final

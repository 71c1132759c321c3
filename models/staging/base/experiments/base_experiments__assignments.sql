{#- Assignment guardrails: a user in two variants of one experiment, an assignment outside the
    experiment window, a variant the experiment did not declare (only when it declares its
    arms; otherwise every variant other than the control is a treatment arm, whatever its
    name), and an assignment to an experiment whose surface's files are not in this build
    (surface_not_loaded) are quarantined and so kept out of every readout. Face experiments
    have no user registry to check ids against: a face user with no face activity is a valid
    user with zero activity. -#}

{%- set unloaded_surfaces = [] %}
{%- for surface in ['feed', 'face'] %}
{%- if not domain_enabled(surface) %}{% do unloaded_surfaces.append("'" ~ surface ~ "'") %}{% endif %}
{%- endfor %}

with

source as (
    select * from {{ source('raw', 'experiment_assignments') }}
),

clean_experiments as (
    select * from {{ ref('base_experiments__experiments') }}
    where quarantine_reason is null
),

clean_feed_users as (
    {%- if domain_enabled('feed') %}
    select user_id from {{ ref('base_feed__users') }}
    where quarantine_reason is null
    {%- else %}
    select cast(null as {{ dbt.type_bigint() }}) as user_id
    where 1 = 0
    {%- endif %}
),

declared_arms as (
    select distinct
        experiment_id,
        variant
    from ({{ experiment_arm_entries('clean_experiments', ['experiment_id']) }}) as entries
),

typed as (
    select
        nullif(trim(cast(experiment_id as {{ dbt.type_string() }})), '') as experiment_id,
        {{ dbt.safe_cast('user_id', dbt.type_bigint()) }} as user_id,
        nullif({{ category_key('variant') }}, '') as variant,
        {{ dbt.safe_cast('assigned_at', dbt.type_timestamp()) }} as assigned_at,
        assigned_at as raw_assigned_at
    from source
),

keyed as (
    select
        *,
        {{ record_key(['experiment_id', 'user_id']) }} as record_key,
        row_number() over (
            partition by experiment_id, user_id order by variant nulls last, assigned_at nulls last
        ) as key_ordinal,
        min(variant) over (partition by experiment_id, user_id) as first_variant_for_user,
        max(variant) over (partition by experiment_id, user_id) as last_variant_for_user
    from typed
),

checked as (
    select
        keyed.*,
        clean_experiments.control_variant,
        case
            when keyed.experiment_id is null or keyed.user_id is null then 'missing_key'
            when {{ failed_cast('keyed.raw_assigned_at', 'keyed.assigned_at') }} then 'unparseable_timestamp'
            when keyed.assigned_at is null then 'missing_timestamp'
            when keyed.variant is null then 'unknown_variant'
            when clean_experiments.experiment_id is null then 'orphan_experiment_id'
            {%- if unloaded_surfaces %}
            when clean_experiments.surface in ({{ unloaded_surfaces | join(', ') }}) then 'surface_not_loaded'
            {%- endif %}
            when keyed.first_variant_for_user != keyed.last_variant_for_user then 'multiple_variants'
            when keyed.key_ordinal > 1 then 'duplicate_key'
            when clean_experiments.has_declared_arms and declared_arms.variant is null then 'unknown_variant'
            when cast(keyed.assigned_at as date) < clean_experiments.start_date
                or cast(keyed.assigned_at as date) > clean_experiments.end_date
                then 'assigned_outside_window'
            when clean_experiments.surface = 'feed' and clean_feed_users.user_id is null
                then 'orphan_user_id'
        end as quarantine_reason
    from keyed
    left join clean_experiments on keyed.experiment_id = clean_experiments.experiment_id
    left join declared_arms
        on
            keyed.experiment_id = declared_arms.experiment_id
            and keyed.variant = declared_arms.variant
    left join clean_feed_users on keyed.user_id = clean_feed_users.user_id
),

final as (
    select
        experiment_id,
        user_id,
        variant,
        assigned_at,
        coalesce(variant = control_variant, false) as is_control,
        record_key,
        key_ordinal,
        quarantine_reason
    from checked
)

select * from final

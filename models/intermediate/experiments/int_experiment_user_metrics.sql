{#- One row per clean assigned user and metric of the experiment's surface: the value in the
    window and over the equally long pre-period. No activity counts 0; landmark_jitter is null
    for fewer than two captures in the period. The experiment_user_metrics mart and the
    comparison model both read this table. -#}

with

windowed as (
    select * from {{ ref('int_experiment_assignments_windowed') }}
),

activity_days as (
    select * from {{ ref('int_experiment_activity_days_aggregated') }}
),

captures as (
    {%- if domain_enabled('face') %}
    select
        experiment_id,
        user_id,
        is_pre_period,
        capture_jitter
    from {{ ref('int_experiment_captures_scored') }}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as experiment_id,
        cast(null as {{ dbt.type_bigint() }}) as user_id,
        cast(null as {{ dbt.type_boolean() }}) as is_pre_period,
        cast(null as {{ type_double() }}) as capture_jitter
    where 1 = 0
    {%- endif %}
),

activity_totals as (
    select
        activity_days.experiment_id,
        activity_days.user_id,
        sum(case when activity_days.is_pre_period then 0 else activity_days.watch_time_seconds end)
            as watch_time_seconds,
        sum(case when activity_days.is_pre_period then activity_days.watch_time_seconds else 0 end)
            as pre_watch_time_seconds,
        sum(case when activity_days.is_pre_period then 0 else 1 end) as active_days,
        sum(case when activity_days.is_pre_period then 1 else 0 end) as pre_active_days,
        sum(case when activity_days.is_pre_period then 0 else activity_days.shares end) as shares,  -- noqa: RF04
        sum(case when activity_days.is_pre_period then activity_days.shares else 0 end) as pre_shares,
        max(
            case
                when
                    not activity_days.is_pre_period
                    and activity_days.activity_date > cast({{ dbt.dateadd('day', -7, 'windowed.end_date') }} as date)
                    then 1
                else 0
            end
        ) as retained_last_7_days,
        max(
            case
                when
                    activity_days.is_pre_period
                    and activity_days.activity_date
                    > cast({{ dbt.dateadd('day', -7, 'windowed.pre_end_date') }} as date)
                    then 1
                else 0
            end
        ) as pre_retained_last_7_days,
        sum(case when activity_days.is_pre_period then 0 else activity_days.animoji_seconds end) as animoji_seconds,
        sum(case when activity_days.is_pre_period then activity_days.animoji_seconds else 0 end)
            as pre_animoji_seconds,
        sum(case when activity_days.is_pre_period then 0 else activity_days.faceid_seconds end) as faceid_seconds,
        sum(case when activity_days.is_pre_period then activity_days.faceid_seconds else 0 end)
            as pre_faceid_seconds,
        sum(case when activity_days.is_pre_period then 0 else activity_days.events end) as sessions,
        sum(case when activity_days.is_pre_period then activity_days.events else 0 end) as pre_sessions
    from activity_days
    inner join windowed
        on
            activity_days.experiment_id = windowed.experiment_id
            and activity_days.user_id = windowed.user_id
    group by activity_days.experiment_id, activity_days.user_id
),

jitter as (
    select
        experiment_id,
        user_id,
        case
            when sum(case when is_pre_period then 0 else 1 end) >= 2
                then avg(case when is_pre_period then null else capture_jitter end)
        end as landmark_jitter,
        case
            when sum(case when is_pre_period then 1 else 0 end) >= 2
                then avg(case when is_pre_period then capture_jitter end)
        end as pre_landmark_jitter
    from captures
    group by experiment_id, user_id
),

users as (
    select
        windowed.experiment_id,
        windowed.surface,
        windowed.user_id,
        windowed.variant,
        coalesce(activity_totals.watch_time_seconds, 0) as watch_time_seconds,
        coalesce(activity_totals.pre_watch_time_seconds, 0) as pre_watch_time_seconds,
        coalesce(activity_totals.active_days, 0) as active_days,
        coalesce(activity_totals.pre_active_days, 0) as pre_active_days,
        coalesce(activity_totals.shares, 0) as shares,  -- noqa: RF04
        coalesce(activity_totals.pre_shares, 0) as pre_shares,
        coalesce(activity_totals.retained_last_7_days, 0) as retained_last_7_days,
        coalesce(activity_totals.pre_retained_last_7_days, 0) as pre_retained_last_7_days,
        coalesce(activity_totals.animoji_seconds, 0) as animoji_seconds,
        coalesce(activity_totals.pre_animoji_seconds, 0) as pre_animoji_seconds,
        coalesce(activity_totals.faceid_seconds, 0) as faceid_seconds,
        coalesce(activity_totals.pre_faceid_seconds, 0) as pre_faceid_seconds,
        coalesce(activity_totals.sessions, 0) as sessions,
        coalesce(activity_totals.pre_sessions, 0) as pre_sessions,
        jitter.landmark_jitter,
        jitter.pre_landmark_jitter
    from windowed
    left join activity_totals
        on
            windowed.experiment_id = activity_totals.experiment_id
            and windowed.user_id = activity_totals.user_id
    left join jitter
        on
            windowed.experiment_id = jitter.experiment_id
            and windowed.user_id = jitter.user_id
),

{%- set metrics = var('experiment_surface_metrics') %}

unpivoted as (
    {%- for surface, surface_metrics in metrics.items() %}
    {%- set outer_loop = loop %}
    {%- for metric in surface_metrics %}
    select
        experiment_id,
        user_id,
        variant,
        '{{ metric }}' as metric,
        cast({{ metric }} as {{ type_double() }}) as value,  -- noqa: RF04
        cast(pre_{{ metric }} as {{ type_double() }}) as pre_value
    from users
    where surface = '{{ surface }}'
    {%- if not (outer_loop.last and loop.last) %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endfor %}
),

final as (
    select * from unpivoted
)

select * from final
